# Shared by every chart: colours, line types and the house style.
# Colours are the Okabe-Ito palette (safe for colour-blind readers);
# line type 9 is the bare-metal control: black, dashed.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1
set linetype 2 lc rgb '#E69F00' lw 2 pt 5 ps 1
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1
set linetype 5 lc rgb '#56B4E9' lw 2 pt 13 ps 1
set linetype 6 lc rgb '#D55E00' lw 2 pt 15 ps 1
set linetype 7 lc rgb '#F0E442' lw 2 pt 4 ps 1
set linetype 8 lc rgb '#7F7F7F' lw 2 pt 6 ps 1
set linetype 9 lc rgb '#222222' lw 2 dt 2 pt 2 ps 1
set linetype cycle 8

# A cell's line type: the control gets 9, cells cycle through 1-8. The
# report passes each curve's line type (lts[], a column of $cells) made
# this way, so a cell keeps its colour when cells without data are left
# out of a chart.
cell_lt(i, ctrl) = (i == ctrl) ? 9 : ((i - 1) % 8) + 1

# Applied after `reset` at the top of every template.
style = "set border 3 lw 1.2; set tics nomirror out; " . \
        "set grid ytics lc rgb '#dddddd' lw 1 dt 1; " . \
        "set key noautotitle top right Left reverse samplen 2 spacing 1.2 box lc rgb '#bbbbbb' opaque; " . \
        "set title font ',15'; set xlabel font ',13'; set ylabel font ',13'; " . \
        "set xtics font ',12'; set ytics font ',12'; set key font ',12'; " . \
        "set style arrow 8 heads size screen 0.008,90 filled lc rgb '#000000' lw 1.5"

# Whiskers are drawn as vectors from the low to the high end of an
# interval (x:lo:0:hi-lo) with arrow style 8: T-bars at both ends.

# A chart's title: the headline, and under it what was measured.
full_title = chart_title . "\n" . chart_subtitle
