# Each tenant's op rate in one cell or control with several tenants, one
# chart per phase and row: a bar per tenant at the median of the
# repetitions, and the mean over the tenants as a dashed line.
#
# Variables: chart_title, chart_subtitle, n (tenants), mean
# $tenants, one row per tenant: x (0-based) median
reset
eval style
set title full_title
set xlabel 'Tenant'
set ylabel 'Op rate (ops/s)'
set format y '%.0s%c'
set xrange [-0.6:n - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xtics 1 format ''
do for [i=1:n] { set label 100 + i sprintf('%d', i) at first i - 1, graph 0 center offset 0,-1 font ',12' front }
set style fill solid 0.85 border lc rgb '#333333'
set boxwidth 0.6
set key top right
plot $tenants using 1:2 with boxes lt 1 title 'median of the repetitions', \
     '' using 1:2:(($2 >= 1000 ? gprintf('%.2s%c', $2) : sprintf('%.0f', $2))) \
         with labels offset 0,0.9 font ',12' notitle, \
     mean with lines lt 9 title 'mean over the tenants'
