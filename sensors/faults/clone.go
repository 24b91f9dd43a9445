package faults

import (
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
)

// CloneFrame returns a deep copy of a *Scan, *Image or *Range.
func CloneFrame(f sensors.Frame) (sensors.Frame, error) {
	switch v := f.(type) {
	case *sensors.Scan:
		return cloneScan(v), nil
	case *sensors.Image:
		return cloneImage(v), nil
	case *sensors.Range:
		c := *v
		return &c, nil
	}
	return nil, fmt.Errorf("faults: cannot copy frame of type %T", f)
}

// cloneFrame is CloneFrame for the frame types of this module; other types
// are returned as they are (they cannot be modified here either).
func cloneFrame(f sensors.Frame) sensors.Frame {
	c, err := CloneFrame(f)
	if err != nil {
		return f
	}
	return c
}

func cloneScan(s *sensors.Scan) *sensors.Scan {
	out := scanLike(s, len(s.Points))
	out.Points = append(out.Points, s.Points...)
	return out
}

// scanLike returns an empty scan with s's header and ring table and room for
// n points.
func scanLike(s *sensors.Scan, n int) *sensors.Scan {
	out := &sensors.Scan{Header: s.Header, Rings: s.Rings, Points: make([]sensors.Point, 0, n)}
	if s.RingElevations != nil {
		out.RingElevations = append([]float32(nil), s.RingElevations...)
	}
	return out
}

func cloneImage(im *sensors.Image) *sensors.Image {
	out := &sensors.Image{Header: im.Header, Width: im.Width, Height: im.Height, Stride: im.Stride, Format: im.Format}
	out.Pix = append([]byte(nil), im.Pix...)
	return out
}

// withHeader returns a deep copy of f carrying header h.
func withHeader(f sensors.Frame, h sensors.Header) sensors.Frame {
	c := cloneFrame(f)
	*c.Head() = h
	return c
}
