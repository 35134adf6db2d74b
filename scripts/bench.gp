# SPDX-License-Identifier: GPL-2.0
# bench.gp - gnuplot script of scripts/bench-plot.py: the chart of one
# benchmark run.  Variables (gnuplot -e): faults, ratios (data files), out
# (the PNG), title.
set terminal pngcairo size 1400,1100 font ",10" noenhanced
set output out
set multiplot layout 2,1 title title
set datafile missing "-"
set title "Faults per page (exact, getrusage): lower is better"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:1.15]
set ylabel "faults / page"
set key top right
set grid ytics
plot for [i=2:6] faults using i:xtic(1) title columnheader(i)
set title "protshm / peer, ratio of medians (bars; green = target met, red = not met; black dots = target)"
set style data boxes
set boxwidth 0.6
unset key
set logscale y
set yrange [*:*]
set ylabel "ratio (log scale)"
set xtics rotate by 30 right
set bmargin 12
set lmargin 24
plot ratios using 0:2:($4 > 0 ? 0x2ca02c : 0xd62728):xtic(1) with boxes lc rgb variable, \
	"" using 0:3 with points pt 7 ps 1.2 lc rgb "black"
unset multiplot
