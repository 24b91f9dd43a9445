package benewake

import (
	"errors"
	"os"
	"sync"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// byteStream replays recorded bytes in chunks. Once they are used up it
// returns atEnd, or behaves as a serial port read timeout (0, nil after a
// millisecond) when atEnd is nil.
type byteStream struct {
	mu     sync.Mutex
	data   []byte
	chunk  int
	atEnd  error
	closed bool
}

func (s *byteStream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, os.ErrClosed
	}
	if len(s.data) == 0 {
		if s.atEnd != nil {
			return 0, s.atEnd
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
		s.mu.Lock()
		return 0, nil
	}
	n := min(len(p), len(s.data), max(s.chunk, 1))
	copy(p, s.data[:n])
	s.data = s.data[n:]
	return n, nil
}

func (s *byteStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// liveStream is an endless device: one frame per read, a millisecond apart,
// distances counting up.
type liveStream struct {
	mu     sync.Mutex
	n      uint16
	closed bool
}

func (s *liveStream) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, os.ErrClosed
	}
	s.n++
	return copy(p, AppendFrame(nil, 100+s.n%500, 3000, 2400)), nil
}

func (s *liveStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// flakyBus is an i2ctest.Playback whose listed transactions (0-based)
// fail as a NACK would.
type flakyBus struct {
	i2ctest.Playback
	fail map[int]bool
	n    int
}

var errNACK = errors.New("i2c: NACK")

func (b *flakyBus) Tx(addr uint16, w, r []byte) error {
	b.n++
	if b.fail[b.n-1] {
		return errNACK
	}
	return b.Playback.Tx(addr, w, r)
}

// liveBus answers every TF-Luna register read with a fixed reading.
type liveBus struct {
	mu     sync.Mutex
	closed bool
}

func (b *liveBus) String() string                  { return "livebus" }
func (b *liveBus) SetSpeed(physic.Frequency) error { return nil }
func (b *liveBus) Close() error                    { b.mu.Lock(); b.closed = true; b.mu.Unlock(); return nil }
func (b *liveBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return os.ErrClosed
	}
	if addr != DefaultI2CAddr || len(w) != 1 || w[0] != 0 || len(r) != 6 {
		return errNACK
	}
	copy(r, []byte{0xf4, 0x01, 0x10, 0x27, 0x2c, 0x0b}) // 500 cm, amp 10000, 28.60 °C
	return nil
}
