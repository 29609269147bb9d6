# Clustered bars: one group per row of `datafile` (first column = label), one bar per server column.
# gnuplot -e "datafile='x.tsv'; outfile='x.png'; chart_title='...'; ylab='...'; logy=0; colors='#rgb ...'" histogram.gp
if (!exists("logy")) logy = 0
set terminal pngcairo size 1100,560 noenhanced font "sans,10"
set output outfile
set title chart_title
set ylabel ylab
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile separator "\t"
set datafile missing "NaN"
set key above horizontal
set rmargin 14
set bmargin 7
set grid ytics
set xtics rotate by -20 left
set yrange [0:*]
if (logy) { set logscale y; set yrange [*:*] }
ncols = system(sprintf("head -1 '%s' | awk -F'\t' '{print NF}'", datafile)) + 0
# colors: one rgb per data column, space separated (the harness gives each server its own color).
if (!exists("colors")) colors = "#1f77b4 #ff7f0e #2ca02c #7f7f7f"
plot for [i=2:ncols] datafile using i:xtic(1) title columnheader(i) lc rgb word(colors, i-1)
