# Host CPU per operation by thread class, stacked, one bar per cell and
# control: the median over repetitions of each class's host CPU
# microseconds per operation in the phase's measurement window.
#
# Variables: chart_title, chart_subtitle, n (bars), labels[n],
#   labels_lines, m (classes), stage_names[m]
# $cpu, one row per bar: x, then the cumulative end of each class
reset
eval style
set title full_title
set ylabel 'Host CPU per operation (µs)'
set xlabel 'Cell' offset 0,-(labels_lines + 0.5)
set xrange [-0.6:n - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
unset xtics
do for [i=1:n] { set label 100 + i labels[i] at first i - 1, graph 0 center offset 0,-1 font ',12' front }
set bmargin labels_lines + 4
set style fill solid 0.9 border lc rgb '#333333'
set boxwidth 0.55
set key outside right top
plot for [k=m:1:-1] $cpu using 1:(column(k + 1)) with boxes lt k \
         title stage_names[k], \
     $cpu using 1:(column(m + 1)):(sprintf('%.1f', column(m + 1))) \
         with labels offset 0,0.8 font ',12' notitle
