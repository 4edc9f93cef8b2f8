// Package chart draws a statistics report as a PNG: incidents per week by
// severity (stacked bars) above the median time to resolve per week.
//
// It uses gonum.org/v1/plot: pure Go (no cgo, no system fonts: it embeds
// its own), maintained by the gonum project, and it renders PNG through
// vgimg. The image depends only on the report (no timestamps), so the same
// data always gives the same bytes.
package chart

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/incidentbot/incidentbot/insights"
)

// Size of the image.
const (
	Width  = 8 * vg.Inch
	Height = 7 * vg.Inch
	dpi    = 96
)

// PNG renders rep's weeks as a PNG image.
func PNG(rep insights.Report) ([]byte, error) {
	labels := make([]string, len(rep.Weeks))
	for i, w := range rep.Weeks {
		labels[i] = w.Start.UTC().Format("Jan 2")
	}
	if len(labels) == 0 {
		labels = []string{""} // an empty axis still needs one slot
	}
	bars, err := barPlot(rep, labels)
	if err != nil {
		return nil, err
	}
	mttr, err := mttrPlot(rep, labels)
	if err != nil {
		return nil, err
	}
	img := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8), PadY: vg.Points(16)}
	plots := [][]*plot.Plot{{bars}, {mttr}}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func barPlot(rep insights.Report, labels []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Incidents per week by severity"
	p.Y.Label.Text = "incidents"
	p.Y.Min = 0
	top := 1.0
	totals := make([]float64, len(rep.Weeks))
	var below *plotter.BarChart
	for i, sev := range rep.Severities {
		vals := make(plotter.Values, len(rep.Weeks))
		any := false
		for j, w := range rep.Weeks {
			vals[j] = float64(w.BySeverity[sev])
			totals[j] += vals[j]
			any = any || vals[j] > 0
		}
		if !any {
			continue
		}
		b, err := plotter.NewBarChart(vals, vg.Points(28))
		if err != nil {
			return nil, fmt.Errorf("chart: bars of %s: %w", sev, err)
		}
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add(sev, b)
	}
	for _, t := range totals {
		top = max(top, t)
	}
	p.Y.Max = top + 1
	p.Y.Tick.Marker = integerTicks{}
	p.Legend.Top = true
	p.NominalX(labels...)
	return p, nil
}

func mttrPlot(rep insights.Report, labels []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Time to resolve per week (median, hours)"
	p.Y.Label.Text = "hours"
	p.Y.Min = 0
	var pts plotter.XYs
	top := 1.0
	for i, w := range rep.Weeks {
		if w.MTTR.N == 0 {
			continue
		}
		h := w.MTTR.Median.Hours()
		pts = append(pts, plotter.XY{X: float64(i), Y: h})
		top = max(top, h)
	}
	p.Y.Max = top * 1.15
	if len(pts) > 0 {
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("chart: time to resolve: %w", err)
		}
		line.Color, points.Color = plotutil.Color(0), plotutil.Color(0)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
	}
	p.Add(plotter.NewGrid())
	p.NominalX(labels...)
	// NominalX spans the labels; keep the axis when no week has a point.
	p.X.Min, p.X.Max = -0.5, float64(max(len(labels), 1))-0.5
	return p, nil
}

// integerTicks marks whole numbers only: a count of incidents has no
// halves.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for (hi-lo)/step > 10 {
		step *= 2
	}
	var ticks []plot.Tick
	for v := 0.0; v <= hi; v += step {
		if v >= lo {
			ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
		}
	}
	return ticks
}
