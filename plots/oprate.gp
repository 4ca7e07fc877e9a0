# Op rate per cell, one chart per phase: a bar at the median of the
# repetitions, whiskers for its 95% bootstrap interval, and each cell's
# bare-metal control as a dashed line across its bar.
#
# Variables: chart_title, chart_subtitle, y_title, n (cells), labels[n] (tick labels),
#   ci_title (legend entry of the whiskers, empty when there are none),
#   has_ctrl (1 when any cell has a control), ctrl_title (legend entry of
#   the control line)
# $cells, one row per cell: x median ci_lo ci_hi ctrl_median (NaN: none)
#   line_type
reset
eval style
set title full_title
set ylabel y_title
set format y '%.0s%c'
set xrange [-0.6:n - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
unset xtics
do for [i=1:n] { set label 100 + i labels[i] at first i - 1, graph 0 center offset 0,-1 font ',12' front }
set bmargin labels_lines + 2
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.6
set key top right
plot $cells using 1:2:6 with boxes lc variable \
         title 'median of the repetitions', \
     '' using 1:3:(0):($4 - $3) with vectors arrowstyle 8 \
         title ci_title, \
     '' using 1:4:(($2 >= 1000 ? gprintf('%.2s%c', $2) : sprintf('%.0f', $2))) with labels offset 0,0.9 \
         font ',12' notitle, \
     for [j=1:has_ctrl] '' using ($1 - 0.42):5:(0.84):(0) \
         with vectors nohead lt 9 title ctrl_title
