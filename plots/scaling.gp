# Aggregate op rate against tenants, one chart per phase: one curve per
# family of cells and controls that differ only in tenants (VM cells in
# colour, their bare-metal controls black and dashed), at the median of
# the repetitions (tenants: 1 is the cell's op rate), and each family's
# linear line from its tenants: 1 figure (N x that rate), dotted.
#
# Variables: chart_title, chart_subtitle, n (families), titles[n], lts[n]
#   (line type of each family), max_tenants, logy (1: the rates span more
#   than 20x, the y axis is logarithmic), has_linear (0: no family has a
#   tenants: 1 cell, no linear lines)
# $scaling, one index per family, one row per cell: tenants aggregate
#   linear (NaN: no tenants: 1 cell)
reset
eval style
set title full_title
set xlabel 'Tenants (two-node databases at once)'
set ylabel 'Aggregate op rate (ops/s)'
set format y '%.0s%c'
set xrange [0.5:max_tenants + 0.5]
set xtics 1
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
if (logy) { set logscale y; set yrange [*:*]; set offsets 0, 0, 0, 0 }
set key top left
plot for [i=1:n] $scaling index (i - 1) using 1:2 with linespoints \
         lt lts[i] title titles[i], \
     for [i=1:n*has_linear] $scaling index (i - 1) using 1:3 with lines \
         lt lts[i] dt 3 lw 1 notitle, \
     for [j=1:has_linear] NaN with lines lc rgb '#555555' dt 3 lw 1 \
         title 'linear from tenants: 1'
