# Op rate and p99 latency over time (one second per point), one chart per
# phase: a line per cell, from the repetition whose op rate is the median.
#
# Variables: chart_title, chart_subtitle, n, labels[n], lts[n] (line type
#   of each curve: 9 is the control), lograte (0/1), has_lat (0/1: the
#   latency panel), rate_label, lat_label
# $ts, one index per cell: second ops_per_s p99 (no p99 when has_lat is 0)
reset
set multiplot title full_title font ',15'
eval style
# Time starts at 0, so a phase that lasted one second still has an x range;
# points mark each second so a single one shows.
set xrange [0:*]
# Two panels sharing the time axis; the legend sits in the right column.
set lmargin at screen 0.11
set rmargin at screen 0.62
set tmargin at screen 0.80
set bmargin at screen 0.49
set key at screen 0.64, screen 0.80 left top
set ylabel rate_label
set format y '%.0s%c'
if (lograte) { set logscale y; set format y '%g' }
# Without latencies the op rate panel takes the whole height.
if (has_lat) { set format x '' } else {
    set format x '%g'; set bmargin at screen 0.12
    set xlabel 'Time into the phase (s)'
}
plot for [i=1:n] $ts index (i - 1) using 1:2 with linespoints pt 7 ps 0.4 lt lts[i] \
         title labels[i]
unset logscale y
unset key
if (has_lat) {
    set logscale y
    set format y '%g'
    set format x '%g'
    set tmargin at screen 0.45
    set bmargin at screen 0.12
    set ylabel lat_label
    set xlabel 'Time into the phase (s)'
    plot for [i=1:n] $ts index (i - 1) using 1:3 with linespoints pt 7 ps 0.4 lt lts[i] \
             notitle
}
unset multiplot
