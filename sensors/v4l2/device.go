package v4l2

import (
	"errors"
	"time"

	"github.com/blackjack/webcam"
)

// FourCC codes of the pixel formats used here (V4L2 little-endian fourcc).
const (
	FormatYUYV  uint32 = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
	FormatMJPEG uint32 = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
)

// FourCC prints a pixel format code.
func FourCC(f uint32) string {
	return string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)})
}

// Size is a frame size range (Min = Max and Step 0 for a discrete size).
type Size struct {
	MinW, MaxW, StepW uint32
	MinH, MaxH, StepH uint32
}

// ErrWaitTimeout is returned by Device.WaitFrame when no frame came.
var ErrWaitTimeout = errors.New("v4l2: no frame within the wait")

// Device is the narrow view of a V4L2 capture device the camera needs.
type Device interface {
	Formats() map[uint32]string
	Sizes(format uint32) []Size
	// SetFormat requests a format and size and returns what the driver set.
	SetFormat(format, w, h uint32) (uint32, uint32, uint32, error)
	Start() error
	// WaitFrame blocks up to timeout (rounded up to whole seconds by
	// webcam) and returns ErrWaitTimeout when no frame is ready.
	WaitFrame(timeout time.Duration) error
	// ReadFrame returns the ready frame; the buffer is valid until the next
	// call.
	ReadFrame() ([]byte, error)
	Close() error
}

// webcamDevice adapts *webcam.Webcam.
type webcamDevice struct{ w *webcam.Webcam }

// OpenWebcam opens a V4L2 device node such as /dev/video0.
func OpenWebcam(path string) (Device, error) {
	w, err := webcam.Open(path)
	if err != nil {
		return nil, err
	}
	return &webcamDevice{w}, nil
}

func (d *webcamDevice) Formats() map[uint32]string {
	out := map[uint32]string{}
	for f, name := range d.w.GetSupportedFormats() {
		out[uint32(f)] = name
	}
	return out
}

func (d *webcamDevice) Sizes(format uint32) []Size {
	var out []Size
	for _, s := range d.w.GetSupportedFrameSizes(webcam.PixelFormat(format)) {
		out = append(out, Size{s.MinWidth, s.MaxWidth, s.StepWidth, s.MinHeight, s.MaxHeight, s.StepHeight})
	}
	return out
}

func (d *webcamDevice) SetFormat(format, w, h uint32) (uint32, uint32, uint32, error) {
	f, gw, gh, err := d.w.SetImageFormat(webcam.PixelFormat(format), w, h)
	return uint32(f), gw, gh, err
}

func (d *webcamDevice) Start() error { return d.w.StartStreaming() }

func (d *webcamDevice) WaitFrame(timeout time.Duration) error {
	secs := uint32((timeout + time.Second - 1) / time.Second)
	err := d.w.WaitForFrame(max(secs, 1))
	var to *webcam.Timeout
	if errors.As(err, &to) {
		return ErrWaitTimeout
	}
	return err
}

func (d *webcamDevice) ReadFrame() ([]byte, error) { return d.w.ReadFrame() }

func (d *webcamDevice) Close() error {
	d.w.StopStreaming()
	return d.w.Close()
}
