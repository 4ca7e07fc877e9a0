# The headline: each cell's median op rate as a fraction of its bare-metal
# control (1.0 = as fast as bare metal), a bar per phase, with the 95%
# bootstrap interval of the ratio.
#
# Variables: chart_title, chart_subtitle, n (cells), labels[n], m (phases),
#   phase_names[m], ymax
# $ratio, one row per cell: x, then ratio lo hi for each phase
reset
eval style
set title full_title
set ylabel 'Op rate / bare-metal op rate'
set xrange [-0.6:n - 0.4]
set yrange [0:ymax]
unset xtics
do for [i=1:n] { set label 100 + i labels[i] at first i - 1, graph 0 center offset 0,-1 font ',12' front }
set bmargin labels_lines + 2
set style fill solid 0.85 border lc rgb '#333333'
w = 0.8 / m
set boxwidth w * 0.9
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lt 9 back
set label 1 'bare metal = 1.0' at graph 0.01, first 1 offset 0,0.7 font ',12' front
set key top right
plot for [k=1:m] $ratio using ($1 + (k - (m + 1) / 2.0) * w):(column(3 * k - 1)) \
         with boxes lt k title phase_names[k], \
     for [k=1:m] $ratio using ($1 + (k - (m + 1) / 2.0) * w):(column(3 * k)):(0): \
         (column(3 * k + 1) - column(3 * k)) \
         with vectors arrowstyle 8 notitle, \
     for [k=1:m] $ratio using ($1 + (k - (m + 1) / 2.0) * w):(column(3 * k + 1)): \
         (column(3 * k - 1) < 0.095 ? sprintf('%.2g×', column(3 * k - 1)) : sprintf('%.2f×', column(3 * k - 1))) \
         with labels offset 0,0.8 font ',11' notitle
