package v4l2

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

// fakeCam is a Device producing frames from gen; it can vanish after
// goneAfter frames (reads then fail with ENODEV as an unplugged UVC
// camera's do) or stall (no frames).
type fakeCam struct {
	mu        sync.Mutex
	formats   map[uint32]string
	sizes     []Size
	format    uint32
	w, h      uint32
	started   bool
	gen       func(i int, format, w, h uint32) []byte
	n         int
	goneAfter int // 0: never
	stall     bool
	closed    bool
}

func newYUYVCam() *fakeCam {
	return &fakeCam{
		formats: map[uint32]string{FormatYUYV: "YUYV 4:2:2", FormatMJPEG: "Motion-JPEG"},
		sizes:   []Size{{MinW: 320, MaxW: 320, MinH: 240, MaxH: 240}, {MinW: 640, MaxW: 640, MinH: 480, MaxH: 480}},
		gen:     yuyvFrame,
	}
}

// yuyvFrame has luma i+x+y (mod 256) and chroma 128.
func yuyvFrame(i int, _ uint32, w, h uint32) []byte {
	b := make([]byte, 2*w*h)
	for y := uint32(0); y < h; y++ {
		for x := uint32(0); x < w; x++ {
			b[2*(y*w+x)] = byte(i + int(x+y))
			b[2*(y*w+x)+1] = 128
		}
	}
	return b
}

func (c *fakeCam) Formats() map[uint32]string { return c.formats }
func (c *fakeCam) Sizes(uint32) []Size        { return c.sizes }
func (c *fakeCam) SetFormat(f, w, h uint32) (uint32, uint32, uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.format, c.w, c.h = f, w, h
	return f, w, h, nil
}
func (c *fakeCam) Start() error { c.mu.Lock(); c.started = true; c.mu.Unlock(); return nil }
func (c *fakeCam) WaitFrame(timeout time.Duration) error {
	c.mu.Lock()
	gone := c.closed || (c.goneAfter > 0 && c.n >= c.goneAfter)
	stall := c.stall
	c.mu.Unlock()
	if gone {
		return syscall.ENODEV
	}
	if stall {
		time.Sleep(min(timeout, 5*time.Millisecond))
		return ErrWaitTimeout
	}
	time.Sleep(time.Millisecond)
	return nil
}
func (c *fakeCam) ReadFrame() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		return nil, errors.New("not streaming")
	}
	c.n++
	return c.gen(c.n, c.format, c.w, c.h), nil
}
func (c *fakeCam) Close() error { c.mu.Lock(); c.closed = true; c.mu.Unlock(); return nil }

func TestNegotiation(t *testing.T) {
	c := newYUYVCam()
	cam, err := Start(c, &Opts{Width: 600, Height: 400})
	if err != nil {
		t.Fatal(err)
	}
	if f, w, h := cam.Format(); f != FormatYUYV || w != 640 || h != 480 {
		t.Errorf("negotiated %s %d×%d, want YUYV 640×480", FourCC(f), w, h)
	}
	mj := &fakeCam{formats: map[uint32]string{FormatMJPEG: "Motion-JPEG", 0x34424752: "RGB4"}}
	cam, err = Start(mj, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f, w, h := cam.Format(); f != FormatMJPEG || w != 640 || h != 480 {
		t.Errorf("negotiated %s %d×%d, want MJPG 640×480 (nothing listed: keep the request)", FourCC(f), w, h)
	}
	if _, err := Start(&fakeCam{formats: map[uint32]string{0x34424752: "RGB4"}}, nil); !errors.Is(err, ErrNoFormat) {
		t.Errorf("RGB-only camera: %v", err)
	}
	if _, err := Start(c, &Opts{Formats: []uint32{0x34424752}}); err == nil {
		t.Error("unconvertible preferred format accepted")
	}
}

func TestChooseSize(t *testing.T) {
	step := []Size{{MinW: 16, MaxW: 1920, StepW: 16, MinH: 16, MaxH: 1080, StepH: 8}}
	if w, h := chooseSize(step, 650, 485); w != 640 || h != 480 {
		t.Errorf("stepwise: %d×%d", w, h)
	}
	if w, h := chooseSize(step, 4000, 4000); w != 1920 || h != 1080 {
		t.Errorf("clamped: %d×%d", w, h)
	}
	disc := []Size{{MinW: 160, MaxW: 160, MinH: 120, MaxH: 120}, {MinW: 1280, MaxW: 1280, MinH: 720, MaxH: 720}}
	if w, h := chooseSize(disc, 640, 480); w != 160 || h != 120 {
		// |19200-307200| = 288000 < |921600-307200| = 614400
		t.Errorf("discrete: %d×%d", w, h)
	}
}

func TestNextYUYVAndMJPEG(t *testing.T) {
	c := newYUYVCam()
	cam, _ := Start(c, &Opts{Width: 320, Height: 240})
	im, err := cam.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 320 || im.Height != 240 || im.Stride != 320 || im.Format != sensors.Gray8 || im.GrayAt(5, 7) != 1+12 || im.Stamp.IsZero() {
		t.Errorf("image %d×%d stride %d, (5,7)=%d", im.Width, im.Height, im.Stride, im.GrayAt(5, 7))
	}

	jpegBytes, luma := testJPEG(t, 64, 48)
	mj := &fakeCam{formats: map[uint32]string{FormatMJPEG: "MJPG"}, gen: func(int, uint32, uint32, uint32) []byte { return stripDHT(t, jpegBytes) }}
	cam, _ = Start(mj, &Opts{Width: 64, Height: 48})
	im, err = cam.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 64 || im.Height != 48 || absDiff(im.GrayAt(20, 20), luma[20*64+20]) > 6 {
		t.Errorf("MJPEG image %d×%d (20,20)=%d want ≈%d", im.Width, im.Height, im.GrayAt(20, 20), luma[20*64+20])
	}
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestNextErrors(t *testing.T) {
	c := newYUYVCam()
	c.stall = true
	cam, _ := Start(c, &Opts{FrameTimeout: 20 * time.Millisecond})
	if _, err := cam.Next(context.Background()); !errors.Is(err, ErrTimeout) {
		t.Errorf("stalled camera: %v", err)
	}
	c = newYUYVCam()
	c.goneAfter = 1
	cam, _ = Start(c, nil)
	if _, err := cam.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := cam.Next(context.Background()); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("unplugged camera: %v", err)
	}
	c = newYUYVCam()
	c.gen = func(int, uint32, uint32, uint32) []byte { return make([]byte, 100) } // truncated buffer
	cam, _ = Start(c, nil)
	var fe *FrameError
	if _, err := cam.Next(context.Background()); !errors.As(err, &fe) || !errors.Is(err, ErrFrameSize) {
		t.Errorf("short buffer: %v", err)
	}
}

func TestSourceConformance(t *testing.T) {
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		s, err := NewSource(func(context.Context) (Device, error) { return newYUYVCam(), nil },
			SourceOptions{Name: "cam0", Address: "/dev/video0", Camera: Opts{Width: 320, Height: 240}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSourceUnplugReconnect(t *testing.T) {
	var mu sync.Mutex
	opens := 0
	open := func(context.Context) (Device, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		switch opens {
		case 1:
			c := newYUYVCam()
			c.goneAfter = 2
			return c, nil
		case 2, 3:
			return nil, syscall.ENOENT // /dev/video0 not there yet
		case 4:
			c := newYUYVCam()
			c.gen = func(i int, f, w, h uint32) []byte {
				if i == 1 {
					return []byte{1, 2, 3} // a torn first frame
				}
				return yuyvFrame(i, f, w, h)
			}
			return c, nil
		}
		return newYUYVCam(), nil
	}
	s, err := NewSource(open, SourceOptions{Name: "cam", Address: "/dev/video0", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var col sensortest.Collector
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, col.Emit) }()
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
	werr := col.WaitN(wctx, 4)
	wcancel()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if werr != nil {
		t.Fatalf("have %d frames: %v", col.Len(), werr)
	}
	cn := s.Counters()
	if cn.Reconnect != 1 || cn.BusErrors != 3 || cn.Malformed != 1 {
		t.Errorf("counters %+v: want 1 reconnect, 3 bus errors (ENODEV, 2 opens), 1 malformed", cn)
	}
	fr := col.Frames()
	for i, f := range fr {
		if f.Head().Seq != uint64(i+1) || f.Head().Sensor != "cam" {
			t.Errorf("frame %d header %+v", i, *f.Head())
		}
	}
}
