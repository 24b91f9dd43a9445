package scenes

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// Origin says how a scene's frames are made.
type Origin uint8

const (
	// OriginSim is a procedural world of package sim.
	OriginSim Origin = iota + 1
	// OriginVideo is a real video, decoded frame by frame.
	OriginVideo
	// OriginStill is a real photograph seen by a moving virtual camera.
	OriginStill
	// OriginCapture is a real LiDAR capture, replayed.
	OriginCapture
	// OriginScan is a real 3-D point scan seen by a moving virtual LiDAR.
	OriginScan
)

// String names the origin.
func (o Origin) String() string {
	switch o {
	case OriginSim:
		return "sim"
	case OriginVideo:
		return "video"
	case OriginStill:
		return "still"
	case OriginCapture:
		return "capture"
	case OriginScan:
		return "scan"
	}
	return fmt.Sprintf("Origin(%d)", uint8(o))
}

// Scene is one place seen by one kind of sensor.
type Scene struct {
	Name   string // unique among the scenes of a kind, e.g. "sim-world3", "still-opencv-building"
	Kind   sensors.Kind
	Origin Origin
	// Real is true when the frames come from real data (a video, a
	// photograph, a capture or a scan) rather than a procedural world.
	Real bool
	// Source says where the frames come from and how they are made.
	Source string
	// Path is the file read ("" for a procedural world).
	Path string
	// Len is the number of frames the scene holds (Start+Frames may not
	// exceed it); 0 when it has no end.
	Len int
	// Period is the time between frames.
	Period time.Duration

	world uint64  // OriginSim: the world's seed
	src   *source // the decoded source, shared by copies; nil: decode on each Drive
}

// source is a scene's decoded source (a photograph, a capture's
// revolutions, a point scan), kept from the first Drive that decodes it.
type source struct {
	mu sync.Mutex
	v  any
}

// load returns the decoded source of a still, capture or scan scene,
// decoding it once per Catalogue entry (a failed decode is tried again on
// the next call).
func (s Scene) load(ctx context.Context) (any, error) {
	decode := func() (any, error) {
		switch s.Origin {
		case OriginStill:
			return loadStill(s.Path)
		case OriginCapture:
			return captureRevolutions(ctx, s.Path)
		case OriginScan:
			return loadPointScan(s.Path)
		}
		return nil, fmt.Errorf("scenes: %s: nothing to load for origin %v", s.Name, s.Origin)
	}
	if s.src == nil {
		return decode()
	}
	s.src.mu.Lock()
	defer s.src.mu.Unlock()
	if s.src.v == nil {
		v, err := decode()
		if err != nil {
			return nil, err
		}
		s.src.v = v
	}
	return s.src.v, nil
}

// Defaults of DriveOptions and of generated frames, the sim sensors'.
const (
	DefaultWidth  = 320                    // camera frame width, pixels
	DefaultHeight = 240                    // camera frame height, pixels
	CameraPeriod  = time.Second / 15       // generated camera frames: 15 fps
	LidarPeriod   = 100 * time.Millisecond // LiDAR revolutions: 10 Hz
)

// DriveOptions choose the frames of a drive. Zero fields take defaults.
type DriveOptions struct {
	Frames int // number of frames, > 0
	Start  int // index of the first frame, ≥ 0
	// Seed varies the noise and, for stills and scans, the path of the
	// virtual sensor; 0 takes the scene's default (for a procedural world,
	// its own seed, as training.SimDrive does). Real recordings ignore it.
	Seed uint64
	// Width and Height of camera frames in pixels (default 320×240);
	// LiDAR scenes ignore them.
	Width, Height int
}

// ErrOptions is wrapped by Drive for invalid options.
var ErrOptions = errors.New("scenes: invalid drive options")

// ErrTooShort is wrapped by Drive when a scene holds fewer frames than asked.
var ErrTooShort = errors.New("scenes: scene too short")

func (o DriveOptions) withDefaults(s Scene) (DriveOptions, error) {
	if o.Width == 0 {
		o.Width = DefaultWidth
	}
	if o.Height == 0 {
		o.Height = DefaultHeight
	}
	switch {
	case s.Kind != sensors.KindLidar && s.Kind != sensors.KindCamera:
		return o, fmt.Errorf("%w: scene %s of kind %v (want lidar or camera)", ErrOptions, s.Name, s.Kind)
	case o.Frames <= 0 || o.Start < 0:
		return o, fmt.Errorf("%w: %d frames from %d (want > 0 frames from ≥ 0)", ErrOptions, o.Frames, o.Start)
	case s.Kind == sensors.KindCamera && (o.Width < 8 || o.Height < 8 || o.Width > 4096 || o.Height > 4096):
		return o, fmt.Errorf("%w: camera size %d×%d outside [8, 4096]", ErrOptions, o.Width, o.Height)
	case s.Len > 0 && o.Start+o.Frames > s.Len:
		return o, fmt.Errorf("%w: %s holds %d frames, asked for [%d, %d)", ErrTooShort, s.Name, s.Len, o.Start, o.Start+o.Frames)
	}
	return o, nil
}

// Drive makes frames [Start, Start+Frames) of the scene as a clean
// recording named after the scene. The same scene and options give the
// same frames, byte for byte.
func (s Scene) Drive(ctx context.Context, opts DriveOptions) (training.Recording, error) {
	opts, err := opts.withDefaults(s)
	if err != nil {
		return training.Recording{}, err
	}
	var frames []sensors.Frame
	switch s.Origin {
	case OriginSim:
		frames, err = simFrames(ctx, s, opts)
	case OriginVideo:
		frames, err = videoFrames(ctx, s, opts)
	case OriginStill:
		frames, err = stillFrames(ctx, s, opts)
	case OriginCapture:
		frames, err = captureFrames(ctx, s, opts)
	case OriginScan:
		frames, err = scanFrames(ctx, s, opts)
	default:
		err = fmt.Errorf("scenes: %s: unknown origin %v", s.Name, s.Origin)
	}
	if err != nil {
		return training.Recording{}, err
	}
	r := training.Recording{Dir: s.Name, Period: s.Period, Frames: frames}
	for k, f := range frames {
		i := opts.Start + k
		h := f.Head()
		h.Sensor = sensorName(s.Kind)
		h.Seq = uint64(i) + 1
		h.Stamp = sim.Epoch().Add(time.Duration(i) * s.Period)
		h.Received = h.Stamp
		r.Names = append(r.Names, fmt.Sprintf("%06d", i))
	}
	return r, nil
}

// Chunk is how many frames Chunked makes at a time.
const Chunk = 200

// Chunked is Drive for long drives: frames [o.Start, o.Start+o.Frames)
// of the scene, made Chunk frames at a time as they are read, so that a
// long LiDAR drive is never held in memory whole. The frames are those of
// Drive, byte for byte. An error of the drive ends the frames; err returns
// it once they are read.
func (s Scene) Chunked(ctx context.Context, o DriveOptions) (frames iter.Seq[sensors.Frame], err func() error) {
	var driveErr error
	frames = func(yield func(sensors.Frame) bool) {
		d := o
		for i := o.Start; i < o.Start+o.Frames || o.Frames <= 0; i += Chunk {
			d.Start, d.Frames = i, min(Chunk, o.Start+o.Frames-i)
			r, err := s.Drive(ctx, d)
			if err != nil {
				driveErr = err
				return
			}
			for _, f := range r.Frames {
				if !yield(f) {
					return
				}
			}
		}
	}
	return frames, func() error { return driveErr }
}

func sensorName(k sensors.Kind) string {
	if k == sensors.KindLidar {
		return "lidar0"
	}
	return "cam0"
}

// generate calls frame(i) for i in [0, n) on up to GOMAXPROCS goroutines
// and returns the frames in order. It stops at the first error or when ctx
// is cancelled; every goroutine has returned when it does.
func generate(ctx context.Context, n int, frame func(i int) (sensors.Frame, error)) ([]sensors.Frame, error) {
	out := make([]sensors.Frame, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || first != nil {
			return 0, false
		}
		next++
		return next - 1, true
	}
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(fmt.Errorf("scenes: %w", err))
					return
				}
				f, err := frame(i)
				if err != nil {
					fail(err)
					return
				}
				out[i] = f
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}

// asFile returns the scan as a recording directory would give it back: a
// KITTI .bin round trip (returns only, rings recovered from the VLP-16
// elevations, intensities normalised).
func asFile(pts []sensors.Point) (*sensors.Scan, error) {
	f, err := recorded.DecodeFile(recorded.FormatKITTI, recorded.AppendKITTI(nil, pts), recorded.ModelVLP16)
	if err != nil {
		return nil, fmt.Errorf("scenes: %w", err)
	}
	return f.(*sensors.Scan), nil
}
