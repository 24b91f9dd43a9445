package sensors

import "time"

// Kind says what a sensor measures.
type Kind uint8

// Kinds of sensor.
const (
	KindUnknown Kind = iota
	KindLidar        // scanning LiDAR: a Scan per revolution
	KindCamera       // camera: an Image per frame
	KindRange        // single-beam range finder: a Range per reading
)

func (k Kind) String() string {
	switch k {
	case KindLidar:
		return "lidar"
	case KindCamera:
		return "camera"
	case KindRange:
		return "range"
	}
	return "unknown"
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	switch s {
	case "lidar":
		return KindLidar, true
	case "camera":
		return KindCamera, true
	case "range":
		return KindRange, true
	}
	return KindUnknown, false
}

// Header is carried by every frame.
type Header struct {
	Sensor   string    // configured sensor name, e.g. "lidar0"
	Seq      uint64    // per-source sequence number, +1 per frame delivered
	Stamp    time.Time // when the sensor captured the frame (sensor clock mapped to wall time)
	Received time.Time // when the host finished receiving the frame
}

// Frame is one unit of sensor output: *Scan, *Image or *Range.
type Frame interface {
	Head() *Header
	Kind() Kind
}

// Point is one LiDAR return.
type Point struct {
	X, Y, Z   float32 // metres, sensor frame (x right, y forward, z up for Velodyne)
	Intensity float32 // reflectivity normalised to [0, 1]
	Range     float32 // metres; 0 means no return
	Azimuth   float32 // radians in [0, 2π), clockwise from the sensor's forward axis
	Ring      uint16  // laser id as the device numbers it; Scan.RingElevations maps it to an angle
	Offset    int32   // firing time relative to Header.Stamp, in microseconds
}

// Scan is one LiDAR revolution.
type Scan struct {
	Header
	// Rings is the number of lasers (16 for a VLP-16); 0 when unknown.
	Rings int
	// RingElevations, when known, gives each ring's elevation in radians
	// indexed by Point.Ring.
	RingElevations []float32
	// Points holds returns and, where a driver keeps them, no-return cells
	// (Range == 0).
	Points []Point
}

// Head implements Frame.
func (s *Scan) Head() *Header { return &s.Header }

// Kind implements Frame.
func (s *Scan) Kind() Kind { return KindLidar }

// Returns counts the points with a return (Range > 0).
func (s *Scan) Returns() int {
	n := 0
	for i := range s.Points {
		if s.Points[i].Range > 0 {
			n++
		}
	}
	return n
}

// PixelFormat is the layout of Image.Pix.
type PixelFormat uint8

// Pixel formats.
const (
	Gray8 PixelFormat = iota + 1 // one byte per pixel
	RGB24                        // three bytes per pixel, R G B
)

// BytesPerPixel of the format.
func (p PixelFormat) BytesPerPixel() int {
	if p == RGB24 {
		return 3
	}
	return 1
}

// Image is one camera frame.
type Image struct {
	Header
	Width, Height int
	Stride        int // bytes per row, ≥ Width·BytesPerPixel
	Format        PixelFormat
	Pix           []byte
}

// Head implements Frame.
func (im *Image) Head() *Header { return &im.Header }

// Kind implements Frame.
func (im *Image) Kind() Kind { return KindCamera }

// GrayAt returns the luma of pixel (x, y) (BT.601 weights for RGB24).
func (im *Image) GrayAt(x, y int) uint8 {
	i := y*im.Stride + x*im.Format.BytesPerPixel()
	if im.Format == RGB24 {
		r, g, b := uint32(im.Pix[i]), uint32(im.Pix[i+1]), uint32(im.Pix[i+2])
		return uint8((299*r + 587*g + 114*b + 500) / 1000)
	}
	return im.Pix[i]
}

// Range is one reading of a single-beam range finder.
type Range struct {
	Header
	Distance float32 // metres; 0 means no valid target
	Strength float32 // signal strength, device units normalised to [0, 1] where known
	TempC    float32 // chip temperature in °C where the device reports it, else NaN
}

// Head implements Frame.
func (r *Range) Head() *Header { return &r.Header }

// Kind implements Frame.
func (r *Range) Kind() Kind { return KindRange }
