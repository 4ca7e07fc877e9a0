# `vmbench compare`: the ratio B/A of each compared cell, phase and metric
# with its 95% interval, worst first from the top. The grey band is the
# noise threshold (a change inside it never counts), the dashed line is
# no change; the colour is the verdict.
#
# Variables: chart_title, chart_subtitle, n (rows), labels[n] (top to
#   bottom), band_lo, band_hi, xmin, xmax, lmargin_frac
# $rows: y ratio lo hi verdict (1 slower, 2 faster, 3 no change,
#   4 too few runs)
reset
eval style
set title full_title
set xlabel 'B / A (log scale)'
set logscale x
set format x '%g'
set xrange [xmin:xmax]
set yrange [n + 0.6:0.4]
unset ytics
set grid xtics noytics lc rgb '#dddddd'
set lmargin at screen lmargin_frac
do for [i=1:n] { set label 100 + i labels[i] at graph 0, first i right offset -1,0 font ',11' front }
set object 1 rect from band_lo, graph 0 to band_hi, graph 1 fc rgb '#e8e8e8' fs solid 1.0 noborder behind
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lt 9 back
set key outside top center horizontal
colour(v) = v == 1 ? 6 : (v == 2 ? 1 : 8)
plot $rows using 2:1:3:4:(colour($5)) with xerrorbars lc variable pt 7 ps 1.2 notitle, \
     keyentry with points lt 6 pt 7 title 'slower', \
     keyentry with points lt 1 pt 7 title 'faster', \
     keyentry with points lt 8 pt 7 title 'no change'
