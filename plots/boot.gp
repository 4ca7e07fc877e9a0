# Boot stages per storage backend, stacked: the median over every VM of
# the cells using that backend (both nodes, all repetitions) of the time
# spent in each stage, from the domain start call to the replica in sync.
#
# Variables: chart_title, chart_subtitle, n (backends), labels[n], m (stages),
#   stage_names[m]
# $boot, one row per backend: x, then the cumulative end of each stage
# nstorm, $storm: where runs of several tenants booted at once (the boot
#   storm), one row per such backend: x, then the medians of the first and
#   last tenant's agent hello and of the first and last replica in sync,
#   drawn as whiskers beside the bar: the storm's spread
reset
eval style
set title full_title
set ylabel 'Seconds from domain start'
# The backends' names sit under the axis as labels (no tics): the axis
# title goes below their lines, and the margin holds both.
set xlabel 'Storage backend of the data directory' offset 0,-(labels_lines + 0.5)
set xrange [-0.6:n - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
unset xtics
do for [i=1:n] { set label 100 + i labels[i] at first i - 1, graph 0 center offset 0,-1 font ',12' front }
set bmargin labels_lines + 4
set style fill solid 0.9 border lc rgb '#333333'
set boxwidth 0.55
set key outside right top
if (nstorm > 0) {
plot for [k=m:1:-1] $boot using 1:(column(k + 1)) with boxes lt k \
         title stage_names[k], \
     $boot using 1:(column(m + 1)):(sprintf('%.1f s', column(m + 1))) \
         with labels offset 0,0.8 font ',12' notitle, \
     $storm using ($1 + 0.34):(($2 + $3) / 2):2:3 with yerrorbars \
         lc rgb '#1f4e79' lw 2 pt 7 ps 0.6 \
         title 'boot storm: first to last tenant, agents up', \
     $storm using ($1 + 0.42):(($4 + $5) / 2):4:5 with yerrorbars \
         lc rgb '#a33' lw 2 pt 7 ps 0.6 \
         title 'boot storm: first to last tenant, replicas in sync'
} else {
plot for [k=m:1:-1] $boot using 1:(column(k + 1)) with boxes lt k \
         title stage_names[k], \
     $boot using 1:(column(m + 1)):(sprintf('%.1f s', column(m + 1))) \
         with labels offset 0,0.8 font ',12' notitle
}
