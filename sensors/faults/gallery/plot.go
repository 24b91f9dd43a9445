package main

import (
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// streamPlot draws, per severity, two series over the delivered frames k:
// the stamp's deviation from the nominal k·T (drops, drift and steps show
// here) and the content age, stamp minus the capture stamp of the frame
// whose content was delivered (stale and reordered frames show here).
func streamPlot(path string, sp faults.Spec, seed uint64) error {
	const period = 100 * time.Millisecond
	in := streamFrames()
	t0 := sim.Epoch()
	top, bottom := plot.New(), plot.New()
	top.Title.Text = fmt.Sprintf("%s: %s", sp.Name, sp.Summary)
	top.Title.TextStyle.Font.Size = vg.Points(9)
	top.Y.Label.Text = "stamp − k·T (ms)"
	bottom.Y.Label.Text = "content age (ms)"
	bottom.X.Label.Text = "delivered frame k (T = 100 ms)"
	colors := []color.Color{color.Gray{150}, color.RGBA{0, 114, 178, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{213, 94, 0, 255}}
	for sev := 0; sev <= 3; sev++ {
		outs := in
		name := "clean"
		if sev > 0 {
			var err error
			outs, err = faults.Apply(sensors.KindRange, faults.Config{Fault: sp.Name, Severity: sev, Seed: seed, Period: period}, in)
			if err != nil {
				return err
			}
			name = fmt.Sprintf("%d: %s", sev, sp.Params[sev-1])
		}
		dev := make(plotter.XYs, 0, len(outs))
		age := make(plotter.XYs, 0, len(outs))
		for k, f := range outs {
			st := f.Head().Stamp
			dev = append(dev, plotter.XY{X: float64(k), Y: float64(st.Sub(t0)-time.Duration(k)*period) / 1e6})
			src := in[int(f.(*sensors.Range).Distance)].Head().Stamp
			age = append(age, plotter.XY{X: float64(k), Y: float64(st.Sub(src)) / 1e6})
		}
		for i, p := range []*plot.Plot{top, bottom} {
			data := dev
			if i == 1 {
				data = age
			}
			if len(data) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(data)
			if err != nil {
				return err
			}
			l.Color, pts.Color = colors[sev], colors[sev]
			pts.Radius = vg.Points(1.5)
			p.Add(l, pts)
			if i == 0 {
				p.Legend.Add(name, l)
			}
		}
	}
	top.Legend.Top = true
	top.Legend.Left = true
	top.Legend.TextStyle.Font.Size = vg.Points(7)
	bottom.X.Min = top.X.Min
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(6*vg.Inch, 4*vg.Inch), vgimg.UseDPI(80))}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(6)}
	canv := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canv[0][0])
	bottom.Draw(canv[1][0])
	return writePNGCanvas(path, c)
}
