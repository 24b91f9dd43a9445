package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// cmdConvert turns a recording into a directory of KITTI .bin or PNG
// frames plus timestamps.txt, one file per revolution or image:
//
//   - a VLP-16 pcap capture or raw payload file (detected by content),
//   - a single PCD or KITTI .bin file,
//   - a directory of KITTI .bin, PCD, PNG, JPEG or PGM frames.
func cmdConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", stderr)
	in := fs.String("in", "", "recording: VLP-16 pcap or raw payload file, PCD or KITTI .bin file, or a directory of frames")
	out := fs.String("out", "", "output directory (created; must not hold a timestamps.txt)")
	port := fs.Int("port", velodyne.DataPort, "pcap: UDP destination port of the LiDAR data (-1: any)")
	cut := fs.Float64("cut", 0, "VLP-16: azimuth in degrees where revolutions begin")
	dropPartial := fs.Bool("drop-partial", false, "VLP-16: drop revolutions that do not span a full turn (first and last)")
	model := fs.String("model", "", "LiDAR model of a KITTI/PCD directory (\"VLP-16\") to recover ring ids")
	gray := fs.Bool("gray", false, "images: write 8-bit gray PNG even for colour input")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl convert --in RECORDING --out DIR [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Writes one KITTI .bin (LiDAR) or PNG (camera) file per revolution or frame,")
		fmt.Fprintln(fs.Output(), "and timestamps.txt, into DIR.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usageError("--in and --out are required")
	}
	st, err := os.Stat(*in)
	if err != nil {
		return err
	}
	w, err := recorded.NewDirWriter(*out)
	if err != nil {
		return err
	}
	c := &converter{w: w, gray: *gray}
	var src sensors.Source
	var describe func() string
	switch {
	case st.IsDir():
		d, err := recorded.OpenDir(*in, recorded.DirOptions{Model: *model})
		if err != nil {
			return c.abort(err)
		}
		s, err := recorded.NewSource(d, recorded.SourceOptions{Pacing: recorded.PaceFast})
		if err != nil {
			return c.abort(err)
		}
		src = s
		describe = func() string {
			return fmt.Sprintf("%d %s frames, %d unreadable", d.Len(), d.Format(), s.Counters().Malformed)
		}
	case isFrameFile(*in):
		return c.single(*in, *model, *out, stdout)
	default:
		partial := velodyne.KeepPartial
		if *dropPartial {
			partial = velodyne.DropPartial
		}
		s, err := velodyne.NewFileSource(*in, velodyne.FileOptions{
			Name: "lidar", Port: *port, Pacing: velodyne.PaceFast,
			Assembler: velodyne.Options{CutDeg: *cut, Partial: partial},
		})
		if err != nil {
			return c.abort(err)
		}
		src = s
		describe = func() string {
			st, cn := s.Stats(), s.Counters()
			return fmt.Sprintf("VLP-16 %s: %d payloads, %d malformed, %d dropped, %d records skipped",
				s.Format(), st.Packets, cn.Malformed, cn.Drops, s.Skipped())
		}
	}
	err = src.Run(ctx, c.write)
	if errors.Is(err, sensors.ErrNoData) && c.err == nil && c.frames > 0 {
		err = nil
	}
	if c.err != nil {
		err = c.err
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\nwrote %d frames (%d LiDAR returns) to %s\n", describe(), c.frames, c.returns, *out)
	return nil
}

// converter writes frames and remembers the first write error.
type converter struct {
	w       *recorded.DirWriter
	gray    bool
	frames  int
	returns int
	err     error
}

func (c *converter) write(f sensors.Frame) {
	if c.err != nil {
		return
	}
	switch v := f.(type) {
	case *sensors.Scan:
		c.returns += v.Returns()
	case *sensors.Image:
		if c.gray && v.Format == sensors.RGB24 {
			f = toGray(v)
		}
	}
	if err := c.w.Write(f); err != nil {
		c.err = err
		return
	}
	c.frames++
}

func (c *converter) abort(err error) error {
	_ = c.w.Close()
	return err
}

// isFrameFile reports whether path is a single frame file (PCD, or a
// KITTI .bin that is not a raw VLP-16 payload file).
func isFrameFile(path string) bool {
	switch recorded.FormatOf(path) {
	case recorded.FormatPCD, recorded.FormatPNG, recorded.FormatJPEG, recorded.FormatPNM:
		return true
	case recorded.FormatKITTI:
		_, err := velodyne.DetectFile(path)
		return err != nil
	}
	return false
}

// single converts one frame file.
func (c *converter) single(path, model, out string, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return c.abort(err)
	}
	f, err := recorded.DecodeFile(recorded.FormatOf(path), b, model)
	if err != nil {
		return c.abort(fmt.Errorf("%s: %w", path, err))
	}
	info, err := os.Stat(path)
	if err != nil {
		return c.abort(err)
	}
	h := f.Head()
	h.Sensor = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	h.Stamp, h.Received = info.ModTime(), info.ModTime()
	c.write(f)
	if c.err != nil {
		return c.abort(c.err)
	}
	if err := c.w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote 1 frame (%d LiDAR returns) to %s\n", c.returns, out)
	return nil
}

// toGray converts an RGB image to BT.601 luma.
func toGray(im *sensors.Image) *sensors.Image {
	g := &sensors.Image{Header: im.Header, Width: im.Width, Height: im.Height, Stride: im.Width, Format: sensors.Gray8,
		Pix: make([]byte, im.Width*im.Height)}
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			g.Pix[y*im.Width+x] = im.GrayAt(x, y)
		}
	}
	return g
}
