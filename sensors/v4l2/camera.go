package v4l2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// ErrNoFormat is returned when the camera offers none of the wanted
// formats.
var ErrNoFormat = errors.New("v4l2: camera offers neither YUYV nor MJPEG")

// ErrTimeout is returned when no frame arrived for FrameTimeout.
var ErrTimeout = errors.New("v4l2: no frame within the frame timeout")

// FrameError reports a frame that could not be converted (corrupt MJPEG,
// short buffer); the stream itself is fine.
type FrameError struct{ Err error }

func (e *FrameError) Error() string { return "v4l2: bad frame: " + e.Err.Error() }
func (e *FrameError) Unwrap() error { return e.Err }

// Opts configure a Camera.
type Opts struct {
	Width, Height uint32   // wanted size (default 640×480); the closest offered is used
	Formats       []uint32 // preference order (default YUYV, then MJPEG)
	// FrameTimeout without a frame before Next fails (default 2 s).
	FrameTimeout time.Duration
	Now          func() time.Time // default time.Now
}

// DefaultOpts are the defaults.
var DefaultOpts = Opts{Width: 640, Height: 480, FrameTimeout: 2 * time.Second}

func (o *Opts) validate() error {
	if o.Width == 0 {
		o.Width = DefaultOpts.Width
	}
	if o.Height == 0 {
		o.Height = DefaultOpts.Height
	}
	if len(o.Formats) == 0 {
		o.Formats = []uint32{FormatYUYV, FormatMJPEG}
	}
	for _, f := range o.Formats {
		if f != FormatYUYV && f != FormatMJPEG {
			return fmt.Errorf("v4l2: cannot convert format %s", FourCC(f))
		}
	}
	if o.FrameTimeout == 0 {
		o.FrameTimeout = DefaultOpts.FrameTimeout
	}
	if o.FrameTimeout < 0 {
		return fmt.Errorf("v4l2: negative frame timeout %v", o.FrameTimeout)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Camera is a streaming V4L2 device delivering gray frames.
type Camera struct {
	dev    Device
	opts   Opts
	format uint32
	w, h   uint32
}

// Start negotiates the format and size on dev and starts streaming. It
// does not close dev on failure.
func Start(dev Device, opts *Opts) (*Camera, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	offered := dev.Formats()
	var format uint32
	for _, f := range o.Formats {
		if _, ok := offered[f]; ok {
			format = f
			break
		}
	}
	if format == 0 {
		names := make([]string, 0, len(offered))
		for f := range offered {
			names = append(names, FourCC(f))
		}
		return nil, fmt.Errorf("%w (offers %v)", ErrNoFormat, names)
	}
	w, h := chooseSize(dev.Sizes(format), o.Width, o.Height)
	got, gw, gh, err := dev.SetFormat(format, w, h)
	if err != nil {
		return nil, fmt.Errorf("v4l2: set format %s %d×%d: %w", FourCC(format), w, h, err)
	}
	if got != format {
		return nil, fmt.Errorf("v4l2: asked for %s, driver set %s", FourCC(format), FourCC(got))
	}
	if err := dev.Start(); err != nil {
		return nil, fmt.Errorf("v4l2: start streaming: %w", err)
	}
	return &Camera{dev: dev, opts: o, format: format, w: gw, h: gh}, nil
}

// Format returns the negotiated pixel format and size.
func (c *Camera) Format() (format, w, h uint32) { return c.format, c.w, c.h }

// chooseSize picks the offered size closest in area to w×h (the larger on
// a tie); with nothing offered it keeps w×h.
func chooseSize(sizes []Size, w, h uint32) (uint32, uint32) {
	bw, bh := w, h
	best := int64(-1)
	want := int64(w) * int64(h)
	for _, s := range sizes {
		cw, ch := fit(w, s.MinW, s.MaxW, s.StepW), fit(h, s.MinH, s.MaxH, s.StepH)
		d := int64(cw)*int64(ch) - want
		if d < 0 {
			d = -d
		}
		if best < 0 || d < best || (d == best && cw*ch > bw*bh) {
			best, bw, bh = d, cw, ch
		}
	}
	return bw, bh
}

// fit clamps v to [lo, hi] on the step grid from lo.
func fit(v, lo, hi, step uint32) uint32 {
	if step == 0 || lo == hi {
		return hi
	}
	v = min(max(v, lo), hi)
	return lo + (v-lo)/step*step
}

// Next waits for the next frame and converts it to gray. The returned
// image has Stamp and Received set, not Sensor or Seq. Errors: ctx's,
// ErrTimeout, *FrameError (skip the frame), or the device's (gone).
func (c *Camera) Next(ctx context.Context) (*sensors.Image, error) {
	deadline := c.opts.Now().Add(c.opts.FrameTimeout)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		left := deadline.Sub(c.opts.Now())
		if left <= 0 {
			return nil, ErrTimeout
		}
		err := c.dev.WaitFrame(min(left, time.Second))
		if errors.Is(err, ErrWaitTimeout) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("v4l2: wait for frame: %w", err)
		}
		break
	}
	stamp := c.opts.Now()
	buf, err := c.dev.ReadFrame()
	if err != nil {
		return nil, fmt.Errorf("v4l2: read frame: %w", err)
	}
	if len(buf) == 0 {
		return nil, &FrameError{Err: errors.New("empty buffer")}
	}
	im := &sensors.Image{Format: sensors.Gray8}
	switch c.format {
	case FormatYUYV:
		w, h := int(c.w), int(c.h)
		im.Pix = make([]byte, w*h)
		stride := 2 * w
		if h > 0 && len(buf) > stride*h && len(buf)%h == 0 {
			stride = len(buf) / h // driver pads rows
		}
		if err := YUYVToGray(im.Pix, buf, w, h, stride); err != nil {
			return nil, &FrameError{Err: err}
		}
		im.Width, im.Height = w, h
	case FormatMJPEG:
		pix, w, h, err := MJPEGToGray(buf)
		if err != nil {
			return nil, &FrameError{Err: err}
		}
		im.Pix, im.Width, im.Height = pix, w, h
	}
	im.Stride = im.Width
	im.Stamp, im.Received = stamp, c.opts.Now()
	return im, nil
}

// Close stops streaming and closes the device.
func (c *Camera) Close() error { return c.dev.Close() }
