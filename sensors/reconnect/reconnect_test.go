package reconnect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// script drives a Loop: opens[i] says whether the i-th Open succeeds and
// delivers[i] whether the i-th session delivers a frame. The loop's waits
// are recorded instead of slept; ctx is cancelled after the last wait
// the script has room for.
type script struct {
	opens    []bool
	delivers []bool
	waits    []time.Duration
	closed   int
}

func (sc *script) run(ctx context.Context, cancel context.CancelFunc, maxWaits int, h *Health) error {
	nOpen, nSession := 0, 0
	l := &Loop[int]{
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 80 * time.Millisecond,
		Open: func(context.Context) (int, error) {
			i := nOpen
			nOpen++
			if i < len(sc.opens) && !sc.opens[i] {
				return 0, fmt.Errorf("attempt %d refused", i)
			}
			return i, nil
		},
		OpenFailed: "dev0: open",
		Wait: func(ctx context.Context, d time.Duration) bool {
			sc.waits = append(sc.waits, d)
			if len(sc.waits) >= maxWaits {
				cancel()
				return false
			}
			return ctx.Err() == nil
		},
	}
	return l.Run(ctx, h, func(_ context.Context, d int) bool {
		i := nSession
		nSession++
		sc.closed++
		return i < len(sc.delivers) && sc.delivers[i]
	})
}

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestBackoffDoublesAndCaps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := &script{opens: make([]bool, 7)} // every open fails
	var h Health
	if err := sc.run(ctx, cancel, 6, &h); err != nil {
		t.Fatal(err)
	}
	if want := ms(10, 20, 40, 80, 80, 80); !slices.Equal(sc.waits, want) {
		t.Errorf("waits %v, want %v", sc.waits, want)
	}
	c := h.Counters()
	if c.BusErrors != 6 || c.Reconnect != 0 || c.Frames != 0 {
		t.Errorf("counters %+v, want 6 bus errors and nothing else", c)
	}
	if err := h.LastError(); err == nil || err.Error() != "dev0: open: attempt 5 refused" {
		t.Errorf("last error %v", err)
	}
}

func TestBackoffResetsAfterGoodSession(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// fail, fail, open (no frame), open (frames), fail, open (no frame)
	sc := &script{
		opens:    []bool{false, false, true, true, false, true},
		delivers: []bool{false, true, false},
	}
	var h Health
	if err := sc.run(ctx, cancel, 6, &h); err != nil {
		t.Fatal(err)
	}
	if want := ms(10, 20, 40, 10, 20, 40); !slices.Equal(sc.waits, want) {
		t.Errorf("waits %v, want %v", sc.waits, want)
	}
	c := h.Counters()
	if c.BusErrors != 3 || c.Reconnect != 2 {
		t.Errorf("counters %+v, want 3 bus errors and 2 reconnects", c)
	}
	if sc.closed != 3 {
		t.Errorf("%d sessions ran, want 3", sc.closed)
	}
}

func TestRunReturnsPromptlyOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	l := &Loop[int]{
		MinBackoff: time.Hour, MaxBackoff: time.Hour,
		Open: func(context.Context) (int, error) { return 0, errors.New("absent") },
		Wait: func(ctx context.Context, d time.Duration) bool {
			close(started)
			return Sleep(ctx, d)
		},
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, new(Health), func(context.Context, int) bool { return false }) }()
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waiting an hour's backoff after cancel")
	}
}

func TestRunDoesNotOpenWhenAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opened := false
	l := &Loop[int]{
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
		Open: func(context.Context) (int, error) { opened = true; return 0, nil },
	}
	if err := l.Run(ctx, new(Health), func(context.Context, int) bool { return true }); err != nil || opened {
		t.Errorf("Run = %v, opened %v; want nil and no open", err, opened)
	}
}

func TestRunRejectsBadLoop(t *testing.T) {
	open := func(context.Context) (int, error) { return 0, nil }
	session := func(context.Context, int) bool { return true }
	for _, c := range []struct {
		name    string
		loop    Loop[int]
		session func(context.Context, int) bool
	}{
		{"no open", Loop[int]{MinBackoff: 1, MaxBackoff: 1}, session},
		{"no session", Loop[int]{MinBackoff: 1, MaxBackoff: 1, Open: open}, nil},
		{"zero backoff", Loop[int]{Open: open}, session},
		{"max < min", Loop[int]{MinBackoff: 2, MaxBackoff: 1, Open: open}, session},
	} {
		if err := c.loop.Run(context.Background(), new(Health), c.session); err == nil {
			t.Errorf("%s: Run accepted the loop", c.name)
		}
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep of 1 ms without cancel reported false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on a cancelled context reported true")
	}
}
