package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

var palette = []string{"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"}

const (
	svgWidth    = 1200
	barHeight   = 22
	panelCols   = 4
	panelWidth  = svgWidth / panelCols
	panelHeight = 190
)

// writeSVG draws the mean hit ratio per policy as bars, then one panel per
// workload with each policy's hit ratio against capacity.
func writeSVG(w io.Writer, r *results) error {
	var b strings.Builder
	groups := groupByWorkload(r)
	barsH := 60 + barHeight*len(r.policies)
	rows := (len(groups) + panelCols - 1) / panelCols
	height := barsH + 40 + rows*panelHeight
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	drawBars(&b, r)
	drawLegend(&b, r, barsH)
	for i, g := range groups {
		x, y := (i%panelCols)*panelWidth, barsH+40+(i/panelCols)*panelHeight
		drawPanel(&b, r, g, x, y)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func drawBars(b *strings.Builder, r *results) {
	fmt.Fprintf(b, `<text x="10" y="24" font-size="16">Mean hit ratio over %d points (%%)</text>`+"\n", r.completePoints())
	maxMean := 1.0
	for qi := range r.policies {
		maxMean = math.Max(maxMean, r.mean(qi))
	}
	for qi, p := range r.policies {
		y := 40 + qi*barHeight
		wd := (svgWidth - 300) * r.mean(qi) / maxMean
		fmt.Fprintf(b, `<text x="110" y="%d" text-anchor="end">%s</text>`, y+15, html.EscapeString(p.name))
		fmt.Fprintf(b, `<rect x="120" y="%d" width="%.1f" height="%d" fill="%s"/>`, y+2, wd, barHeight-4, palette[qi%len(palette)])
		fmt.Fprintf(b, `<text x="%.1f" y="%d">%.2f</text>`+"\n", 125+wd, y+15, r.mean(qi))
	}
}

func drawLegend(b *strings.Builder, r *results, y int) {
	for qi, p := range r.policies {
		x := 10 + qi*95
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`, x, y+20, x+20, y+20, palette[qi%len(palette)])
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x+24, y+24, html.EscapeString(p.name))
	}
}

// drawPanel plots one workload: x is the capacity index, y the hit ratio.
func drawPanel(b *strings.Builder, r *results, pis []int, x0, y0 int) {
	const left, top, right, bottom = 35, 20, 10, 30
	pw, ph := float64(panelWidth-left-right), float64(panelHeight-top-bottom)
	lo, hi := 100.0, 0.0
	for _, pi := range pis {
		for qi := range r.policies {
			if v := r.hit[pi][qi]; !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	lo, hi = math.Floor(lo/5)*5, math.Min(100, math.Ceil(hi/5)*5+0.001)
	if hi-lo < 5 {
		hi = lo + 5
	}
	fmt.Fprintf(b, `<g transform="translate(%d,%d)">`, x0, y0)
	fmt.Fprintf(b, `<text x="%d" y="12" font-weight="bold">%s</text>`, left, html.EscapeString(r.points[pis[0]].w.name))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#ccc"/>`, left, top, pw, ph)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%.0f</text><text x="%d" y="%.0f" text-anchor="end">%.0f</text>`,
		left-3, top+8, hi, left-3, top+ph, lo)
	xOf := func(i int) float64 {
		if len(pis) == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(pis)-1)
	}
	yOf := func(v float64) float64 { return top + ph*(hi-v)/(hi-lo) }
	for i, pi := range pis {
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="9">%s</text>`, xOf(i), top+ph+12, shortCap(r.points[pi].capacity))
	}
	for qi := range r.policies {
		var pts []string
		for i, pi := range pis {
			if v := r.hit[pi][qi]; !math.IsNaN(v) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(i), yOf(v)))
			}
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, palette[qi%len(palette)], strings.Join(pts, " "))
	}
	b.WriteString("</g>\n")
}

func shortCap(c int) string {
	switch {
	case c >= 1000 && c%1000 == 0:
		return fmt.Sprintf("%dk", c/1000)
	default:
		return fmt.Sprint(c)
	}
}

// groupByWorkload returns the point indexes of each workload, in order.
func groupByWorkload(r *results) [][]int {
	var out [][]int
	for pi, pt := range r.points {
		if len(out) == 0 || r.points[out[len(out)-1][0]].w != pt.w {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], pi)
	}
	return out
}
