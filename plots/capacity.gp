# A capacity phase: latency against throughput for each cell and the
# control (the knee where a VM falls behind bare metal). Each curve is the
# steps of one repetition of the search (the cell's repetition with the
# median op rate) in the order of their offered rate: achieved rate on x,
# latency at the search's percentile on y (log scale). Filled points met
# the limit, open circles had their latency over it, open triangles failed
# within it (the achieved rate short of the offered, errors, cut short);
# the dashed line is the limit.
#
# Variables: chart_title, chart_subtitle, y_title, n (curves), labels[n],
#   lts[n] (line type of each curve: 9 is the control), limit, limit_text
# $steps, one index per curve: achieved latency mark (1 met the limit,
#   0 latency over it, 2 failed within it)
reset
eval style
set title full_title
set xlabel 'Achieved rate (operations per second)'
set ylabel y_title
set logscale y
set format y '%g'
set xrange [0:*]
set grid xtics ytics lc rgb '#dddddd'
set key top left
set arrow 1 from graph 0, first limit to graph 1, first limit nohead lt 9 back
set label 1 limit_text at graph 0.99, first limit right offset 0,0.7 font ',12' front
plot for [i=1:n] $steps index (i - 1) using 1:2 with lines lt lts[i] title labels[i], \
     for [i=1:n] $steps index (i - 1) using 1:($3 == 1 ? $2 : 1/0) with points lt lts[i] pt 7 notitle, \
     for [i=1:n] $steps index (i - 1) using 1:($3 == 0 ? $2 : 1/0) with points lt lts[i] pt 6 notitle, \
     for [i=1:n] $steps index (i - 1) using 1:($3 == 2 ? $2 : 1/0) with points lt lts[i] pt 8 notitle
