# One cell's phase second by second: op rate, and under it on the same
# time axis the host CPU of both nodes and the data disk's I/Os.
#
# Variables: chart_title, chart_subtitle, has_disk (0/1)
# $ts: second ops_per_s host_cpu_s disk_iops
reset
set multiplot title full_title font ',15'
eval style
unset key
set xrange [0:*]
set lmargin at screen 0.12
set rmargin at screen 0.95
set format x ''
set tmargin at screen 0.82
set bmargin at screen 0.60
set ylabel 'Ops per second'
set format y '%.0s%c'
set yrange [0:*]
plot $ts using 1:2 with linespoints pt 7 ps 0.4 lt 1
set tmargin at screen 0.57
set bmargin at screen 0.36
set ylabel 'Host CPU (CPUs)'
set format y '%g'
plot $ts using 1:3 with linespoints pt 7 ps 0.4 lt 6
set tmargin at screen 0.33
set bmargin at screen 0.12
set format x '%g'
set xlabel 'Time into the phase (s)'
set ylabel has_disk ? 'Disk I/Os per second' : 'Disk I/Os (not measured)'
set format y '%.0s%c'
plot $ts using 1:4 with linespoints pt 7 ps 0.4 lt 3
unset multiplot
