package health

import (
	"fmt"
	"slices"
	"time"

	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// WindowSpan is the span of the stream-timing window.
const WindowSpan = time.Second

// SensorFeatures computes a sensor's health feature vector frame by frame:
// the timing features of the last WindowSpan followed by the frame's own
// statistics (package likelihood/features). It keeps the previous frame, so
// feed it every frame of one stream in order. Not safe for concurrent use.
type SensorFeatures struct {
	kind   sensors.Kind
	window *Window
	lidar  features.LidarExtractor
	camera features.CameraExtractor
	names  []string
	frame  []float64
	// statsOK says whether frame holds the latest frame's statistics.
	statsOK bool
}

// NewSensorFeatures returns the feature computer for a stream of the given
// kind (LiDAR or camera) and nominal period.
func NewSensorFeatures(kind sensors.Kind, period time.Duration) (*SensorFeatures, error) {
	if period <= 0 {
		return nil, fmt.Errorf("health: sensor features need a positive period, got %v", period)
	}
	names := WindowNames()
	switch kind {
	case sensors.KindLidar:
		names = append(names, features.LidarNames()...)
	case sensors.KindCamera:
		names = append(names, features.CameraNames()...)
	case sensors.KindRange, sensors.KindUnknown:
		// Timing only: a range reading has no frame statistics, and a
		// source that does not know its kind yet (a recording not there
		// at start) is judged by its stream alone.
	default:
		return nil, fmt.Errorf("health: no features for sensor kind %v", kind)
	}
	return &SensorFeatures{kind: kind, window: NewWindow(period, WindowSpan), names: names}, nil
}

// Names returns the feature names, in vector order.
func (s *SensorFeatures) Names() []string { return slices.Clone(s.names) }

// Window returns the timing window (for its statistics).
func (s *SensorFeatures) Window() *Window { return s.window }

// Reset forgets the previous frame and the window.
func (s *SensorFeatures) Reset() {
	s.window.Reset()
	s.lidar.Reset()
	s.camera.Reset()
}

// Next adds f and writes its feature vector into dst (resized, returned).
// Statistics that cannot be computed are NaN; models impute them.
func (s *SensorFeatures) Next(dst []float64, f sensors.Frame) ([]float64, error) {
	h := f.Head()
	s.window.Add(*h)
	dst = resize(dst, len(s.names))
	nw := len(windowNames)
	s.window.Features(dst[:nw], h.Received)
	s.statsOK = false
	if s.kind == sensors.KindUnknown {
		return dst, nil
	}
	var err error
	switch fr := f.(type) {
	case *sensors.Scan:
		if s.kind != sensors.KindLidar {
			return dst, fmt.Errorf("health: %s frame on a %v stream", f.Kind(), s.kind)
		}
		s.frame = s.lidar.Next(s.frame, fr)
	case *sensors.Image:
		if s.kind != sensors.KindCamera {
			return dst, fmt.Errorf("health: %s frame on a %v stream", f.Kind(), s.kind)
		}
		s.frame, err = s.camera.Next(s.frame, fr)
		if err != nil {
			return dst, fmt.Errorf("health: %w", err)
		}
	case *sensors.Range:
		s.frame = s.frame[:0]
	default:
		return dst, fmt.Errorf("health: unsupported frame type %T", f)
	}
	copy(dst[nw:], s.frame)
	s.statsOK = true
	return dst, nil
}

// Stats returns the frame statistics of the latest Next (package
// likelihood/features, in its order), valid until the next call; nil for a
// range sensor, before the first frame and after a frame whose statistics
// failed.
func (s *SensorFeatures) Stats() []float64 {
	if s.kind == sensors.KindRange || s.kind == sensors.KindUnknown || !s.statsOK {
		return nil
	}
	return s.frame
}
