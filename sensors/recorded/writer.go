package recorded

import (
	"bufio"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/sensortrust/trustagent/sensors"
)

// WriterOptions configure NewDirWriter. The zero value is valid.
type WriterOptions struct {
	// First is the number of the first file (default 0: 000000.bin).
	First int
	// Compression of PNG frames; default png.DefaultCompression.
	Compression png.CompressionLevel
}

// DirWriter writes frames into a directory as KITTI .bin or PNG files,
// one file per frame, and their stamps into timestamps.txt. All frames
// written must be of one kind. It is not safe for concurrent use.
type DirWriter struct {
	dir    string
	first  int
	next   int
	kind   sensors.Kind
	stamps *os.File
	bw     *bufio.Writer
	enc    png.Encoder
	buf    []byte
	err    error // sticky: first write error
}

// NewDirWriter creates dir (and parents) if needed and opens
// timestamps.txt in it (at most one WriterOptions). It refuses a directory
// that already holds a timestamps.txt, so recordings are never mixed.
func NewDirWriter(dir string, opts ...WriterOptions) (*DirWriter, error) {
	var o WriterOptions
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		return nil, errors.New("recorded: NewDirWriter takes at most one WriterOptions")
	}
	if o.First < 0 || o.First > 999999 {
		return nil, fmt.Errorf("recorded: first frame number %d out of range", o.First)
	}
	if o.Compression > 0 || o.Compression < png.BestCompression {
		return nil, fmt.Errorf("recorded: PNG compression %d out of range", o.Compression)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("recorded: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, TimestampsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("recorded: %s already holds a recording or is not writable: %w", dir, err)
	}
	return &DirWriter{
		dir: dir, first: o.First, next: o.First, stamps: f, bw: bufio.NewWriter(f),
		enc: png.Encoder{CompressionLevel: o.Compression},
	}, nil
}

// Write writes f as the next file: a *sensors.Scan as %06d.bin (returns
// only: points with Range 0 are omitted), a *sensors.Image as %06d.png; and
// appends f's Stamp to timestamps.txt.
func (w *DirWriter) Write(f sensors.Frame) error {
	if w.err != nil {
		return w.err
	}
	if w.stamps == nil {
		return errors.New("recorded: write to closed DirWriter")
	}
	if f == nil {
		return errors.New("recorded: write of nil frame")
	}
	if w.kind != sensors.KindUnknown && f.Kind() != w.kind {
		return fmt.Errorf("recorded: %s frame into a directory of %s frames", f.Kind(), w.kind)
	}
	if w.next > 999999 {
		return fmt.Errorf("recorded: %s is full (10⁶ frames)", w.dir)
	}
	var name string
	switch fr := f.(type) {
	case *sensors.Scan:
		name = fmt.Sprintf("%06d.bin", w.next)
		w.buf = AppendKITTI(w.buf[:0], fr.Points)
		if err := os.WriteFile(filepath.Join(w.dir, name), w.buf, 0o644); err != nil {
			return w.fail(err)
		}
	case *sensors.Image:
		name = fmt.Sprintf("%06d.png", w.next)
		im, err := toStd(fr)
		if err != nil {
			return err
		}
		out, err := os.Create(filepath.Join(w.dir, name))
		if err != nil {
			return w.fail(err)
		}
		bw := bufio.NewWriter(out)
		err = w.enc.Encode(bw, im)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return w.fail(err)
		}
	default:
		return fmt.Errorf("recorded: cannot write %s frames (%T)", f.Kind(), f)
	}
	w.kind = f.Kind()
	if _, err := fmt.Fprintln(w.bw, FormatStamp(f.Head().Stamp)); err != nil {
		return w.fail(err)
	}
	w.next++
	return nil
}

func (w *DirWriter) fail(err error) error {
	w.err = fmt.Errorf("recorded: %w", err)
	return w.err
}

// Written is the number of frames written so far.
func (w *DirWriter) Written() int { return w.next - w.first }

// Close flushes timestamps.txt and closes it. It returns the first error
// of any Write or of the flush.
func (w *DirWriter) Close() error {
	if w.stamps == nil {
		return w.err
	}
	err := w.bw.Flush()
	if cerr := w.stamps.Close(); err == nil {
		err = cerr
	}
	w.stamps = nil
	if w.err != nil {
		return w.err
	}
	if err != nil {
		return fmt.Errorf("recorded: %w", err)
	}
	return nil
}
