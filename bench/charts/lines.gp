# One line per server column against the numeric first column (e.g. RSS per connection vs clients).
# gnuplot -e "datafile='x.tsv'; outfile='x.png'; chart_title='...'; xlab='...'; ylab='...'; colors='#rgb ...'" lines.gp
set terminal pngcairo size 900,520 noenhanced font "sans,10"
set output outfile
set title chart_title
set xlabel xlab
set ylabel ylab
set datafile separator "\t"
set datafile missing "NaN"
set key above horizontal
set grid
set yrange [0:*]
set xrange [0:*]
ncols = system(sprintf("head -1 '%s' | awk -F'\t' '{print NF}'", datafile)) + 0
if (!exists("colors")) colors = "#1f77b4 #ff7f0e #2ca02c #7f7f7f"
plot for [i=2:ncols] datafile using 1:i with linespoints lw 2 pt 7 lc rgb word(colors, i-1) title columnheader(i)
