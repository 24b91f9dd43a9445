package benewake

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestUARTRead(t *testing.T) {
	data := stream(3)
	data[FrameLen+4] ^= 1 // corrupt frame 1
	s := &byteStream{data: data, chunk: 4, atEnd: io.EOF}
	u, err := NewUART(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, want := range []uint16{100, 102} {
		m, st, err := u.Read(ctx)
		if err != nil || m.DistanceCM != want || st.IsZero() {
			t.Fatalf("Read = %+v, %v, %v; want %d cm", m, st, err, want)
		}
	}
	if _, _, err := u.Read(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("Read at end = %v, want wrapped EOF (device gone)", err)
	}
	if st := u.Stats(); st.Malformed != 1 || st.Frames != 2 {
		t.Errorf("stats %+v", st)
	}
	if u.Bytes() != uint64(3*FrameLen) {
		t.Errorf("Bytes = %d", u.Bytes())
	}
}

func TestUARTTimeout(t *testing.T) {
	// A partial frame, then silence.
	s := &byteStream{data: stream(1)[:5]}
	u, err := NewUART(s, &UARTOpts{Timeout: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = u.Read(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Read = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestUARTCancel(t *testing.T) {
	u, _ := NewUART(&byteStream{}, &UARTOpts{Timeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := u.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read = %v, want the context's error", err)
	}
}

func TestNewUARTValidates(t *testing.T) {
	if _, err := NewUART(&byteStream{}, &UARTOpts{Model: 9}); err == nil {
		t.Error("unknown model accepted")
	}
	if _, err := NewUART(&byteStream{}, &UARTOpts{Timeout: -1}); err == nil {
		t.Error("negative timeout accepted")
	}
}
