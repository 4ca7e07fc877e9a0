# Latency percentiles per cell (and the control), one chart per phase:
# four bars per cell (p50, p95, p99, p99.9) at the median over the
# repetitions, whiskers for each 95% interval; log scale.
#
# Variables: chart_title, chart_subtitle, y_title, n, labels[n], np (the
#   percentiles any cell has, up to 4), pct_names[np]
# $lat, one row per cell: x, then median lo hi of each of the np
#   percentiles (p50 p95 p99 p99.9 when all are there)
reset
eval style
set title full_title
set ylabel y_title
set logscale y
set format y '%g'
set xrange [-0.6:n - 0.4]
set offsets 0, 0, graph 0.05, 0
unset xtics
do for [i=1:n] { set label 100 + i labels[i] at first i - 1, graph 0 center offset 0,-1 font ',12' front }
set bmargin labels_lines + 2
set style fill solid 0.85 border lc rgb '#333333'
w = 0.8 / np
set boxwidth w
set key top left
plot for [k=1:np] $lat using ($1 + (k - (np + 1) / 2.0) * w):(column(3 * k - 1)) \
         with boxes lt k title pct_names[k], \
     for [k=1:np] $lat using ($1 + (k - (np + 1) / 2.0) * w):(column(3 * k)):(0): \
         (column(3 * k + 1) - column(3 * k)) \
         with vectors arrowstyle 8 notitle
