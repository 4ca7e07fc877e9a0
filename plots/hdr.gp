# The latency distribution of each cell against the control, HdrHistogram
# style: x is 1/(1 - percentile) on a log scale, so each step right is ten
# times rarer ("1 in N requests is slower than this").
#
# Variables: chart_title, chart_subtitle, y_title, n (curves), labels[n],
#   lts[n] (line type of each curve: 9 is the control), xmax
# $curves, one index per curve: x(=1/(1-p)) latency
reset
eval style
set title full_title
set ylabel y_title
set xlabel 'Percentile (1 in N requests is slower)' offset 0,-0.5
set bmargin 5.5
set logscale x
set logscale y
set format y '%g'
set xrange [1:xmax]
set grid xtics ytics lc rgb '#dddddd'
set xtics ('0%%' 1, "90%%\n1 in 10" 10, "99%%\n1 in 100" 100, \
           "99.9%%\n1 in 1000" 1000, "99.99%%\n1 in 10^4" 10000, \
           "99.999%%\n1 in 10^5" 100000, "99.9999%%\n1 in 10^6" 1000000)
set key top left
plot for [i=1:n] $curves index (i - 1) using 1:2 with lines \
         lt lts[i] title labels[i]
