package host

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"time"
)

// SampleLog keeps the latest Cap feature vectors of the host in one file of
// fixed size, a ring written in place:
//
//	header  32 bytes: "TRHOSTL1", features d (uint32), capacity (uint32),
//	        CRC-32 of the preceding 16 bytes, zero padding
//	slot i  at 32 + i·(20 + 8d): sequence number (uint64, from 1), Unix
//	        time in ns (int64), d float64 values, CRC-32 of the preceding
//	        bytes of the slot; all little-endian
//
// Sample n goes to slot (n − 1) mod Cap, so the file never grows after it
// is created (all of it is written at creation, so a full disk stops the
// creation, never a later append). On open, every slot whose CRC holds is a
// kept sample and the next sequence number follows the largest: a restart
// neither loses a written sample nor repeats one, and a slot torn by a power
// cut fails its CRC and is dropped. Not safe for concurrent use.
type SampleLog struct {
	f     logFile
	d     int
	cap   int
	next  uint64
	count int // valid slots
	dirty int // appends since the last Sync
	buf   []byte
}

// logFile is what SampleLog needs of an *os.File (tests inject a full disk).
type logFile interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
}

const (
	logMagic      = "TRHOSTL1"
	logHeaderSize = 32
	// syncEvery bounds what a power cut can take: the samples since the
	// last Sync (the page cache keeps them across a crash of the process).
	syncEvery = 60
)

// ErrLogFormat is wrapped when a log file is not a sample log of the
// expected shape.
var ErrLogFormat = errors.New("host: sample log format")

// OpenSampleLog opens the sample log at path, creating it when absent. A log
// written with another number of features or capacity cannot be continued:
// it is replaced, and the error wraps ErrLogFormat only when the replacement
// also fails. Errors from a full disk wrap the system's error (ENOSPC).
func OpenSampleLog(path string, d, capacity int) (*SampleLog, error) {
	return openSampleLog(path, d, capacity, func(p string, flag int) (logFile, error) {
		return os.OpenFile(p, flag, 0o640)
	})
}

func openSampleLog(path string, d, capacity int, open func(string, int) (logFile, error)) (*SampleLog, error) {
	if d < 1 || d > 256 || capacity < 1 || capacity > 10_000_000 {
		return nil, fmt.Errorf("%w: %d features, capacity %d", ErrLogFormat, d, capacity)
	}
	l := &SampleLog{d: d, cap: capacity, next: 1, buf: make([]byte, 20+8*d)}
	f, err := open(path, os.O_RDWR)
	if err == nil {
		l.f = f
		if err := l.scan(); err == nil {
			return l, nil
		}
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("host: sample log: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("host: sample log: %w", err)
	}
	f, err = open(path, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, fmt.Errorf("host: sample log: %w", err)
	}
	l.f = f
	if err := l.create(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("host: sample log: %w", err)
	}
	return l, nil
}

func (l *SampleLog) header() []byte {
	h := make([]byte, logHeaderSize)
	copy(h, logMagic)
	binary.LittleEndian.PutUint32(h[8:], uint32(l.d))
	binary.LittleEndian.PutUint32(h[12:], uint32(l.cap))
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:16]))
	return h
}

func (l *SampleLog) create() error {
	if _, err := l.f.WriteAt(l.header(), 0); err != nil {
		return err
	}
	zero := make([]byte, 64<<10)
	size := int64(l.cap) * int64(len(l.buf))
	for off := int64(0); off < size; off += int64(len(zero)) {
		n := min(int64(len(zero)), size-off)
		if _, err := l.f.WriteAt(zero[:n], logHeaderSize+off); err != nil {
			return err
		}
	}
	return l.f.Sync()
}

func (l *SampleLog) scan() error {
	h := make([]byte, logHeaderSize)
	if _, err := l.f.ReadAt(h, 0); err != nil {
		return fmt.Errorf("%w: header: %w", ErrLogFormat, err)
	}
	if !bytes.Equal(h, l.header()) {
		return fmt.Errorf("%w: header differs", ErrLogFormat)
	}
	var maxSeq uint64
	l.count = 0
	for i := range l.cap {
		seq, _, ok := l.read(i, nil)
		if ok {
			l.count++
			maxSeq = max(maxSeq, seq)
		}
	}
	l.next = maxSeq + 1
	return nil
}

// read returns slot i's sequence number and time, writing its values into
// dst when non-nil; ok is false for an empty or torn slot.
func (l *SampleLog) read(i int, dst []float64) (seq uint64, t int64, ok bool) {
	b := l.buf
	if _, err := l.f.ReadAt(b, logHeaderSize+int64(i)*int64(len(b))); err != nil {
		return 0, 0, false
	}
	n := len(b) - 4
	seq = binary.LittleEndian.Uint64(b)
	if seq == 0 || crc32.ChecksumIEEE(b[:n]) != binary.LittleEndian.Uint32(b[n:]) {
		return 0, 0, false
	}
	for j := range dst {
		dst[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[16+8*j:]))
	}
	return seq, int64(binary.LittleEndian.Uint64(b[8:])), true
}

// Append keeps x (len d) taken at t, overwriting the oldest sample once the
// log holds Cap.
func (l *SampleLog) Append(t time.Time, x []float64) error {
	if len(x) != l.d {
		return fmt.Errorf("%w: %d values, log has %d features", ErrLogFormat, len(x), l.d)
	}
	b := l.buf
	binary.LittleEndian.PutUint64(b, l.next)
	binary.LittleEndian.PutUint64(b[8:], uint64(t.UnixNano()))
	for j, v := range x {
		binary.LittleEndian.PutUint64(b[16+8*j:], math.Float64bits(v))
	}
	n := len(b) - 4
	binary.LittleEndian.PutUint32(b[n:], crc32.ChecksumIEEE(b[:n]))
	slot := int((l.next - 1) % uint64(l.cap))
	if _, err := l.f.WriteAt(b, logHeaderSize+int64(slot)*int64(len(b))); err != nil {
		return fmt.Errorf("host: sample log: %w", err)
	}
	l.next++
	l.count = min(l.count+1, l.cap)
	if l.dirty++; l.dirty >= syncEvery {
		l.dirty = 0
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("host: sample log: %w", err)
		}
	}
	return nil
}

// Len returns the number of samples kept.
func (l *SampleLog) Len() int { return l.count }

// Cap returns the capacity.
func (l *SampleLog) Cap() int { return l.cap }

// Rows returns the kept samples, oldest first.
func (l *SampleLog) Rows() ([][]float64, []time.Time) {
	type rec struct {
		seq uint64
		t   int64
		x   []float64
	}
	recs := make([]rec, 0, l.count)
	for i := range l.cap {
		x := make([]float64, l.d)
		if seq, t, ok := l.read(i, x); ok {
			recs = append(recs, rec{seq, t, x})
		}
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmpU64(a.seq, b.seq) })
	rows, times := make([][]float64, len(recs)), make([]time.Time, len(recs))
	for i, r := range recs {
		rows[i], times[i] = r.x, time.Unix(0, r.t)
	}
	return rows, times
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Close syncs and closes the file.
func (l *SampleLog) Close() error {
	err := l.f.Sync()
	return errors.Join(err, l.f.Close())
}

// ReadSampleLog returns the samples of the log at path, oldest first, with
// the number of features the log was written with (trustctl reads logs
// copied from robots). The file is not changed.
func ReadSampleLog(path string) ([][]float64, []time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("host: sample log: %w", err)
	}
	defer f.Close()
	h := make([]byte, logHeaderSize)
	if _, err := f.ReadAt(h, 0); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: header: %w", ErrLogFormat, path, err)
	}
	d, capacity := int(binary.LittleEndian.Uint32(h[8:])), int(binary.LittleEndian.Uint32(h[12:]))
	l := &SampleLog{f: f, d: d, cap: capacity, buf: make([]byte, 20+8*max(0, min(d, 256)))}
	if string(h[:8]) != logMagic || d < 1 || d > 256 || capacity < 1 || capacity > 10_000_000 || !bytes.Equal(h, l.header()) {
		return nil, nil, fmt.Errorf("%w: %s is not a host sample log", ErrLogFormat, path)
	}
	if st, err := f.Stat(); err != nil || st.Size() != logHeaderSize+int64(capacity)*int64(len(l.buf)) {
		return nil, nil, fmt.Errorf("%w: %s is cut short or too long for its %d samples", ErrLogFormat, path, capacity)
	}
	if err := l.scan(); err != nil {
		return nil, nil, err
	}
	rows, times := l.Rows()
	return rows, times, nil
}
