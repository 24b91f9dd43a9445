package sensortest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// broken is a source with one configurable defect.
type broken struct {
	info        sensors.Info
	reuse       bool          // emits the same frame object every time
	badSeq      bool          // repeats Seq
	ignoreStop  chan struct{} // when set, Run ignores ctx until this closes
	lateEmit    bool          // a goroutine keeps emitting after Run returns
	lateRelease chan struct{}
}

func (b *broken) Info() sensors.Info { return b.info }

func (b *broken) Run(ctx context.Context, emit func(sensors.Frame)) error {
	shared := RangeReading(b.info.Name, 1, t0, 1)
	for seq := uint64(1); ; seq++ {
		if b.ignoreStop != nil {
			select {
			case <-b.ignoreStop:
				return nil
			default:
			}
		} else if ctx.Err() != nil {
			if b.lateEmit {
				go func() {
					// An emit racing Run's return itself cannot be seen;
					// one a moment later must be.
					time.Sleep(5 * time.Millisecond)
					emit(RangeReading(b.info.Name, seq, t0, 1))
					<-b.lateRelease
				}()
			}
			return nil
		}
		f := shared
		if !b.reuse {
			f = RangeReading(b.info.Name, seq, t0, 1)
		}
		if b.badSeq {
			f.Seq = 7
		}
		emit(f)
		time.Sleep(time.Millisecond)
	}
}

var goodInfo = sensors.Info{Name: "b0", Kind: sensors.KindRange, Model: "broken", Address: "here"}

func hasProblem(p problems, sub string) bool {
	for _, s := range p {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestConformanceDetectsDefects(t *testing.T) {
	opts := Options{StopTimeout: 100 * time.Millisecond}.withDefaults()
	cases := []struct {
		name string
		src  func() *broken
		want string
	}{
		{"ReusedFrame", func() *broken { return &broken{info: goodInfo, reuse: true} }, "same object"},
		{"RepeatedSeq", func() *broken { return &broken{info: goodInfo, badSeq: true} }, "not above previous"},
		{"IgnoresCancel", func() *broken { return &broken{info: goodInfo, ignoreStop: make(chan struct{})} }, "did not return"},
		{"EmitsAfterReturn", func() *broken { return &broken{info: goodInfo, lateEmit: true, lateRelease: make(chan struct{})} }, "after Run returned"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.src()
			opts := opts
			opts.SkipLeakCheck = c.name == "EmitsAfterReturn" // LeakedGoroutine covers it
			p := checkStream(t, opts, func(*testing.T) sensors.Source { return b })
			if b.ignoreStop != nil {
				close(b.ignoreStop)
			}
			if b.lateRelease != nil {
				close(b.lateRelease)
			}
			if !hasProblem(p, c.want) {
				t.Errorf("problems %q do not mention %q", p, c.want)
			}
		})
	}
	t.Run("LeakedGoroutine", func(t *testing.T) {
		b := &broken{info: goodInfo, lateEmit: true, lateRelease: make(chan struct{})}
		p := checkStream(t, opts, func(*testing.T) sensors.Source { return b })
		close(b.lateRelease)
		if !hasProblem(p, "goroutines still running") {
			t.Errorf("problems %q do not mention the leak", p)
		}
	})
	t.Run("EmptyInfo", func(t *testing.T) {
		p := checkInfo(sensors.Info{Period: -1})
		for _, want := range []string{"Name", "Kind", "Model", "Address", "Period"} {
			if !hasProblem(p, want) {
				t.Errorf("checkInfo did not flag %s: %q", want, p)
			}
		}
	})
	t.Run("BadFrames", func(t *testing.T) {
		frames := []sensors.Frame{
			RangeReading("other", 2, time.Time{}, -1),
			GrayImage("b0", 1, t0, 4, 4),
		}
		frames[1].(*sensors.Image).Pix = frames[1].(*sensors.Image).Pix[:3]
		p := checkFrames(goodInfo, frames)
		for _, want := range []string{"Sensor", "zero Stamp", "range distance", "Kind", "not above", "bytes"} {
			if !hasProblem(p, want) {
				t.Errorf("checkFrames did not flag %q: %q", want, p)
			}
		}
	})
	t.Run("GoodSourceHasNoProblems", func(t *testing.T) {
		p := checkStream(t, opts, func(*testing.T) sensors.Source { return &broken{info: goodInfo} })
		if len(p) > 0 {
			t.Errorf("a correct source was flagged: %q", p)
		}
	})
}
