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
set ylabel 'Ops per second' font ',11'
set format y '%.0s%c'
# About three round tick steps per panel (1, 2 or 5 times a power of
# ten), whatever the range: the panels are short.
p10(s) = 10**floor(log10(s))
nice(s) = p10(s) * (s / p10(s) <= 1 ? 1 : s / p10(s) <= 2 ? 2 : s / p10(s) <= 5 ? 5 : 10)
ticks(col) = (stats_max(col) > 0 ? nice(stats_max(col) / 3.0) : 1)
stats_max(col) = (col == 2 ? max2 : col == 3 ? max3 : max4)
stats $ts using 2 nooutput
max2 = STATS_max
stats $ts using 3 nooutput
max3 = STATS_max
stats $ts using 4 nooutput
max4 = STATS_max
# A panel whose values are all zero (no disk I/O in a read phase) still
# gets a range, rather than gnuplot's warning about an empty one.
top(m) = (m > 0 ? m * 1.1 : 1)
set yrange [0:top(max2)]
set ytics ticks(2)
plot $ts using 1:2 with linespoints pt 7 ps 0.4 lt 1
set tmargin at screen 0.57
set bmargin at screen 0.36
set ylabel 'Host CPU (CPUs)' font ',11'
set format y '%g'
set yrange [0:top(max3)]
set ytics ticks(3)
plot $ts using 1:3 with linespoints pt 7 ps 0.4 lt 6
set tmargin at screen 0.33
set bmargin at screen 0.12
set format x '%g'
set xlabel 'Time into the phase (s)'
set ylabel (has_disk ? 'Disk I/Os per second' : 'Disk I/Os (not measured)') font ',11'
set format y '%.0s%c'
set yrange [0:top(max4)]
set ytics ticks(4)
plot $ts using 1:4 with linespoints pt 7 ps 0.4 lt 3
unset multiplot
