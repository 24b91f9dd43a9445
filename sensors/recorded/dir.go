package recorded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// TimestampsFile is the name of the stamps file beside the frames.
const TimestampsFile = "timestamps.txt"

// DefaultRate is the frame rate assumed for a directory without
// timestamps.txt when DirOptions.Rate is 0 (a 10 Hz LiDAR or camera).
const DefaultRate = 10.0

// Format is the file format of a directory's frames.
type Format uint8

// Frame file formats.
const (
	FormatUnknown Format = iota
	FormatKITTI          // .bin: KITTI velodyne float32 x, y, z, intensity
	FormatPCD            // .pcd: PCL point cloud, ASCII or binary
	FormatPNG            // .png
	FormatJPEG           // .jpg, .jpeg
	FormatPNM            // .pgm, .ppm
)

func (f Format) String() string {
	switch f {
	case FormatKITTI:
		return "KITTI .bin"
	case FormatPCD:
		return "PCD"
	case FormatPNG:
		return "PNG"
	case FormatJPEG:
		return "JPEG"
	case FormatPNM:
		return "PGM/PPM"
	}
	return "unknown"
}

// Kind is what frames of this format hold.
func (f Format) Kind() sensors.Kind {
	switch f {
	case FormatKITTI, FormatPCD:
		return sensors.KindLidar
	case FormatPNG, FormatJPEG, FormatPNM:
		return sensors.KindCamera
	}
	return sensors.KindUnknown
}

// FormatOf returns the frame format a file name's extension stands for.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".bin":
		return FormatKITTI
	case ".pcd":
		return FormatPCD
	case ".png":
		return FormatPNG
	case ".jpg", ".jpeg":
		return FormatJPEG
	case ".pgm", ".ppm":
		return FormatPNM
	}
	return FormatUnknown
}

// DirOptions configure OpenDir. The zero value is valid.
type DirOptions struct {
	// Sensor is Header.Sensor of the frames; default the directory's base name.
	Sensor string
	// Model names the LiDAR that recorded the scans ("" unknown, or
	// ModelVLP16); with a model, KITTI points get ring ids by nearest
	// elevation and Scan.Rings is set.
	Model string
	// Rate in Hz stamps the frames of a directory without timestamps.txt,
	// starting at the Unix epoch; default DefaultRate.
	Rate float64
}

// Dir is an indexed directory of recorded frames, one format per directory.
// It is safe for concurrent Read calls.
type Dir struct {
	path   string
	names  []string // frame file names, sorted
	format Format
	stamps []time.Time // one per frame
	real   bool        // stamps come from timestamps.txt
	opts   DirOptions
}

// OpenDir indexes the frame files of dir (at most one DirOptions). Files of
// other extensions are ignored. It fails when the directory mixes formats,
// holds no frames (the error wraps sensors.ErrNoData), or has a
// timestamps.txt that does not parse or has fewer lines than frames.
func OpenDir(dir string, opts ...DirOptions) (*Dir, error) {
	var o DirOptions
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		return nil, errors.New("recorded: OpenDir takes at most one DirOptions")
	}
	if err := checkModel(o.Model); err != nil {
		return nil, err
	}
	if o.Rate < 0 || o.Rate > 1e6 {
		return nil, fmt.Errorf("recorded: rate %g Hz out of range", o.Rate)
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Sensor == "" {
		o.Sensor = filepath.Base(filepath.Clean(dir))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("recorded: %w", err)
	}
	d := &Dir{path: dir, opts: o}
	seen := map[Format]string{}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f := FormatOf(e.Name())
		if f == FormatUnknown {
			continue
		}
		if _, ok := seen[f]; !ok {
			seen[f] = e.Name()
		}
		d.names = append(d.names, e.Name())
		d.format = f
	}
	if len(seen) > 1 {
		var kinds []string
		for f, name := range seen {
			kinds = append(kinds, fmt.Sprintf("%s (%s)", f, name))
		}
		sort.Strings(kinds)
		return nil, fmt.Errorf("recorded: %s mixes frame formats: %s; keep one format per directory", dir, strings.Join(kinds, ", "))
	}
	if len(d.names) == 0 {
		return nil, fmt.Errorf("recorded: %s holds no .bin, .pcd, .png, .jpg or .pgm frames: %w", dir, sensors.ErrNoData)
	}
	sort.Strings(d.names)
	if err := d.loadStamps(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dir) loadStamps() error {
	p := filepath.Join(d.path, TimestampsFile)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		period := time.Duration(float64(time.Second) / d.opts.Rate)
		d.stamps = make([]time.Time, len(d.names))
		for i := range d.stamps {
			d.stamps[i] = time.Unix(0, 0).UTC().Add(time.Duration(i) * period)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("recorded: %w", err)
	}
	defer f.Close()
	st, err := ParseTimestamps(f)
	if err != nil {
		return fmt.Errorf("recorded: %s: %w", p, err)
	}
	if len(st) < len(d.names) {
		return fmt.Errorf("recorded: %s has %d stamps for %d frames", p, len(st), len(d.names))
	}
	d.stamps, d.real = st[:len(d.names)], true
	return nil
}

// Len is the number of frames.
func (d *Dir) Len() int { return len(d.names) }

// Name is the file name (without directory) of frame i.
func (d *Dir) Name(i int) string { return d.names[i] }

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// Kind is what the frames hold.
func (d *Dir) Kind() sensors.Kind { return d.format.Kind() }

// Format is the frames' file format.
func (d *Dir) Format() Format { return d.format }

// Stamp is the capture time of frame i: from timestamps.txt, or
// i / DirOptions.Rate after the Unix epoch without one.
func (d *Dir) Stamp(i int) time.Time { return d.stamps[i] }

// HasStamps reports whether the stamps come from timestamps.txt.
func (d *Dir) HasStamps() bool { return d.real }

// Options returns the options in effect (defaults filled in).
func (d *Dir) Options() DirOptions { return d.opts }

// Read decodes frame i (a *sensors.Scan or *sensors.Image) with Seq i and
// Stamp = Received = Stamp(i). Errors name the file.
func (d *Dir) Read(i int) (sensors.Frame, error) {
	f, _, err := d.read(i)
	return f, err
}

// read is Read that also reports the file's size.
func (d *Dir) read(i int) (sensors.Frame, int, error) {
	if i < 0 || i >= len(d.names) {
		return nil, 0, fmt.Errorf("recorded: frame %d of %d: %w", i, len(d.names), sensors.ErrNoData)
	}
	p := filepath.Join(d.path, d.names[i])
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, 0, fmt.Errorf("recorded: %w", err)
	}
	f, err := DecodeFile(d.format, b, d.opts.Model)
	if err != nil {
		return nil, len(b), fmt.Errorf("recorded: %s: %w", p, err)
	}
	h := f.Head()
	h.Sensor, h.Seq, h.Stamp, h.Received = d.opts.Sensor, uint64(i), d.stamps[i], d.stamps[i]
	return f, len(b), nil
}

// DecodeFile decodes the bytes of one frame file of the given format. model
// is as DirOptions.Model. The header is left zero.
func DecodeFile(format Format, b []byte, model string) (sensors.Frame, error) {
	switch format {
	case FormatKITTI:
		pts, _, err := DecodeKITTI(b, nil)
		if err != nil {
			return nil, err
		}
		NormalizeIntensity(pts)
		s := &sensors.Scan{Points: pts}
		assignRings(s, model)
		return s, nil
	case FormatPCD:
		s, err := DecodePCD(b)
		if err != nil {
			return nil, err
		}
		if s.Rings == 0 {
			assignRings(s, model)
		} else if model == ModelVLP16 {
			s.RingElevations = vlp16Elevations()
		}
		return s, nil
	case FormatPNG, FormatJPEG, FormatPNM:
		return DecodeImage(b)
	}
	return nil, fmt.Errorf("%w: unknown frame format", ErrFormat)
}
