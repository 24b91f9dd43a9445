package sensortest

import (
	"fmt"
	"math"

	"github.com/sensortrust/trustagent/sensors"
)

// CheckFrame reports the first structural inconsistency in f: an image
// whose buffer is too small for its size, a scan point with a negative or
// non-finite range or a ring beyond Rings, a negative or non-finite range
// reading. It returns nil for a well-formed frame.
func CheckFrame(f sensors.Frame) error {
	switch v := f.(type) {
	case *sensors.Scan:
		return checkScan(v)
	case *sensors.Image:
		return checkImage(v)
	case *sensors.Range:
		if !finite(v.Distance) || v.Distance < 0 {
			return fmt.Errorf("range distance %v", v.Distance)
		}
		if !finite(v.Strength) || v.Strength < 0 || v.Strength > 1 {
			return fmt.Errorf("range strength %v outside [0, 1]", v.Strength)
		}
		return nil
	case nil:
		return fmt.Errorf("nil frame")
	}
	return fmt.Errorf("unknown frame type %T", f)
}

func checkScan(s *sensors.Scan) error {
	if s.Rings < 0 {
		return fmt.Errorf("scan Rings = %d", s.Rings)
	}
	if len(s.RingElevations) > 0 && s.Rings > 0 && len(s.RingElevations) != s.Rings {
		return fmt.Errorf("scan has %d ring elevations for %d rings", len(s.RingElevations), s.Rings)
	}
	for i := range s.Points {
		p := &s.Points[i]
		if !finite(p.Range) || p.Range < 0 {
			return fmt.Errorf("point %d: range %v", i, p.Range)
		}
		if !finite(p.X) || !finite(p.Y) || !finite(p.Z) || !finite(p.Azimuth) || !finite(p.Intensity) {
			return fmt.Errorf("point %d: non-finite field %+v", i, *p)
		}
		if p.Intensity < 0 || p.Intensity > 1 {
			return fmt.Errorf("point %d: intensity %v outside [0, 1]", i, p.Intensity)
		}
		if s.Rings > 0 && int(p.Ring) >= s.Rings {
			return fmt.Errorf("point %d: ring %d of %d", i, p.Ring, s.Rings)
		}
	}
	return nil
}

func checkImage(im *sensors.Image) error {
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("image size %d×%d", im.Width, im.Height)
	}
	if im.Format != sensors.Gray8 && im.Format != sensors.RGB24 {
		return fmt.Errorf("image format %d", im.Format)
	}
	if im.Stride < im.Width*im.Format.BytesPerPixel() {
		return fmt.Errorf("image stride %d below width %d × %d bytes", im.Stride, im.Width, im.Format.BytesPerPixel())
	}
	if need := im.Stride*(im.Height-1) + im.Width*im.Format.BytesPerPixel(); len(im.Pix) < need {
		return fmt.Errorf("image has %d bytes, %d×%d stride %d needs %d", len(im.Pix), im.Width, im.Height, im.Stride, need)
	}
	return nil
}

func finite(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}
