package velodyne

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/pcap"
)

// Pacing says how fast a FileSource replays a recording.
type Pacing uint8

// Pacings.
const (
	// PaceRealTime replays at the recorded speed (pcap record times, or the
	// payload timestamps of a raw file) and stamps revolutions with the
	// wall clock, as a live sensor would be.
	PaceRealTime Pacing = iota
	// PaceFast replays as fast as the receiver takes revolutions and keeps
	// the recorded times: pcap record times anchor the stamps, and a raw
	// file's payload timestamps are counted from the Unix epoch.
	PaceFast
)

// Repeat says what a FileSource does at the end of the recording.
type Repeat uint8

// Repeats.
const (
	Once Repeat = iota // return an error wrapping sensors.ErrNoData
	Loop               // start over until ctx is cancelled
)

// AnyPort in FileOptions.Port reads UDP datagrams to every port.
const AnyPort = -1

// FileOptions configure NewFileSource. The zero value replays once in real
// time, reading pcap datagrams to port 2368.
type FileOptions struct {
	Name      string  // sensor name; default the file's base name
	Assembler Options // revolution assembly; Assembler.Sensor is set to Name
	Port      int     // pcap: UDP destination port to read (default DataPort, AnyPort for all)
	Pacing    Pacing
	Repeat    Repeat
}

// FileFormat is the kind of recording a FileSource reads.
type FileFormat uint8

// File formats.
const (
	FormatRaw  FileFormat = iota + 1 // 1,206-byte payloads back to back
	FormatPcap                       // classic libpcap capture
)

func (f FileFormat) String() string {
	if f == FormatPcap {
		return "pcap"
	}
	return "raw payloads"
}

// ErrUnknownFile is returned (wrapped) for a file that is neither a pcap
// capture nor raw VLP-16 payloads.
var ErrUnknownFile = errors.New("velodyne: not a pcap capture or raw VLP-16 payload file")

// FileSource replays a VLP-16 recording (raw payload file or pcap) as a
// sensors.Source of revolutions.
type FileSource struct {
	path   string
	format FileFormat
	opts   FileOptions

	frames, bytes, malformed, skipped atomic.Uint64
	asm                               atomic.Pointer[Assembler]
}

// DetectFile reports the format of a VLP-16 recording from its first bytes.
func DetectFile(path string) (FileFormat, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("velodyne: %w", err)
	}
	defer f.Close()
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	return detect(head[:n])
}

func detect(head []byte) (FileFormat, error) {
	if len(head) >= 4 {
		le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head)
		switch {
		case le == pcap.MagicMicro || le == pcap.MagicNano || be == pcap.MagicMicro || be == pcap.MagicNano:
			return FormatPcap, nil
		case le == 0x0A0D0D0A:
			return 0, fmt.Errorf("%w: pcapng is not read; convert it with \"editcap -F pcap in.pcapng out.pcap\"", ErrUnknownFile)
		}
	}
	if len(head) >= 2 && head[0] == 0xFF && head[1] == 0xEE {
		return FormatRaw, nil
	}
	return 0, ErrUnknownFile
}

// NewFileSource checks path's format and returns a source replaying it.
func NewFileSource(path string, opts FileOptions) (*FileSource, error) {
	if opts.Pacing > PaceFast || opts.Repeat > Loop {
		return nil, errors.New("velodyne: bad file source options")
	}
	if opts.Port == 0 {
		opts.Port = DataPort
	}
	if opts.Port != AnyPort && (opts.Port < 1 || opts.Port > 65535) {
		return nil, fmt.Errorf("velodyne: port %d", opts.Port)
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	opts.Assembler.Sensor = opts.Name
	if err := opts.Assembler.validate(); err != nil {
		return nil, err
	}
	format, err := DetectFile(path)
	if err != nil {
		return nil, fmt.Errorf("velodyne: %s: %w", path, err)
	}
	return &FileSource{path: path, format: format, opts: opts}, nil
}

// Format is the recording's format.
func (s *FileSource) Format() FileFormat { return s.format }

// Info implements sensors.Source.
func (s *FileSource) Info() sensors.Info {
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindLidar, Model: "VLP-16", Period: 100 * time.Millisecond, Address: s.path}
}

// Counters implements sensors.Counted. Malformed counts payloads the
// decoder rejected and pcap frames with broken headers; Drops counts
// packets missing from the device timestamps.
func (s *FileSource) Counters() sensors.Counters {
	c := sensors.Counters{Frames: s.frames.Load(), Bytes: s.bytes.Load(), Malformed: s.malformed.Load()}
	if a := s.asm.Load(); a != nil {
		st := a.Stats()
		c.Malformed += st.Malformed
		c.Drops = st.Drops
	}
	return c
}

// Skipped counts pcap records that were not VLP-16 data (other protocols
// or ports).
func (s *FileSource) Skipped() uint64 { return s.skipped.Load() }

// Stats returns the assembler's counts (zero before Run).
func (s *FileSource) Stats() Stats {
	if a := s.asm.Load(); a != nil {
		return a.Stats()
	}
	return Stats{}
}

// Run implements sensors.Source.
func (s *FileSource) Run(ctx context.Context, emit func(sensors.Frame)) error {
	a, err := NewAssembler(s.opts.Assembler)
	if err != nil {
		return err
	}
	s.asm.Store(a)
	emitScan := func(sc *sensors.Scan) {
		s.frames.Add(1)
		emit(sc)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		before := a.Stats().Packets
		if err := s.pass(ctx, a, emitScan); err != nil {
			return err
		}
		if a.Stats().Packets == before {
			return fmt.Errorf("velodyne: %s holds no VLP-16 payloads: %w", s.path, sensors.ErrNoData)
		}
		if s.opts.Repeat != Loop {
			return fmt.Errorf("velodyne: %s: end of recording: %w", s.path, sensors.ErrNoData)
		}
	}
}

// pass replays the file once.
func (s *FileSource) pass(ctx context.Context, a *Assembler, emit func(*sensors.Scan)) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("velodyne: %w", err)
	}
	defer f.Close()
	next, err := s.iterator(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return err
	}
	var pace pacer
	done := ctx.Done()
	for {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		payload, recorded, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A broken record header or a cut-short file ends the pass.
			s.malformed.Add(1)
			break
		}
		if payload == nil {
			continue
		}
		s.bytes.Add(uint64(len(payload)))
		recv := recorded
		if s.opts.Pacing == PaceRealTime {
			ref := recorded
			if ref.IsZero() && len(payload) == PayloadSize {
				ref = time.Unix(0, int64(binary.LittleEndian.Uint32(payload[1200:]))*1000)
			}
			if err := pace.wait(ctx, ref); err != nil {
				return err
			}
			recv = time.Now()
		}
		_ = a.Add(payload, recv, emit) // rejected payloads are counted by a
	}
	a.Flush(emit)
	return nil
}

// iterator returns a function yielding the next payload and its recorded
// receive time (zero for raw files); a nil payload means "skipped".
func (s *FileSource) iterator(r io.Reader) (func() ([]byte, time.Time, error), error) {
	if s.format == FormatRaw {
		buf := make([]byte, PayloadSize)
		return func() ([]byte, time.Time, error) {
			n, err := io.ReadFull(r, buf)
			if errors.Is(err, io.EOF) || (errors.Is(err, io.ErrUnexpectedEOF) && n == 0) {
				return nil, time.Time{}, io.EOF
			}
			if err != nil {
				return nil, time.Time{}, fmt.Errorf("velodyne: %s: trailing %d bytes: %w", s.path, n, err)
			}
			return buf, time.Time{}, nil
		}, nil
	}
	pr, err := pcap.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("velodyne: %s: %w", s.path, err)
	}
	link := pr.Header().LinkType
	return func() ([]byte, time.Time, error) {
		rec, err := pr.Next()
		if err != nil {
			return nil, time.Time{}, err
		}
		u, err := pcap.DecodeUDP(link, rec.Data)
		switch {
		case errors.Is(err, pcap.ErrNotUDP):
			s.skipped.Add(1)
			return nil, rec.Time, nil
		case err != nil:
			s.malformed.Add(1)
			return nil, rec.Time, nil
		}
		if s.opts.Port != AnyPort && int(u.Dst.Port()) != s.opts.Port {
			s.skipped.Add(1)
			return nil, rec.Time, nil
		}
		return u.Payload, rec.Time, nil
	}, nil
}

// pacer sleeps so that recorded times are replayed at their own speed. It
// re-anchors when the recorded time goes back or jumps ahead by more than
// maxPaceJump, so a loop or a gap does not stall the replay.
type pacer struct {
	wall, ref time.Time
}

const maxPaceJump = 2 * time.Second

func (p *pacer) wait(ctx context.Context, ref time.Time) error {
	now := time.Now()
	if p.wall.IsZero() {
		p.wall, p.ref = now, ref
		return nil
	}
	d := ref.Sub(p.ref)
	if d < 0 || d > maxPaceJump+now.Sub(p.wall) {
		p.wall, p.ref = now, ref
		return nil
	}
	wait := p.wall.Add(d).Sub(now)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
