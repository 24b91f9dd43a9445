package decision

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// feed measures and learns each score, as a trusted stream does, and
// returns the last measurement.
func feed(r *Rise, scores ...float64) (float64, bool) {
	var v float64
	var ok bool
	for _, s := range scores {
		v, ok = r.Of(s)
		r.Learn(s)
	}
	return v, ok
}

// TestRiseStepNotDrift: a score that wanders twentyfold over a minute, one
// frame at a time, rises little against its own recent level; the same
// score stepping up by a factor of e² at once has risen by about 2 once
// the step has held the rise's frames, though every frame is learnt.
func TestRiseStepNotDrift(t *testing.T) {
	forHolds(t, func(t *testing.T, frames int) {
		r := newRise(t, frames, 0)
		const minute = 900 // frames at 15 fps
		worst := math.Inf(-1)
		for i := range minute {
			s := 3 * math.Pow(20, float64(i)/minute)
			v, ok := feed(r, s)
			if ok {
				worst = max(worst, v)
			} else if i >= RiseWindow+2*frames {
				t.Fatalf("frame %d: no rise with a full level", i)
			}
		}
		if worst > 0.05 {
			t.Errorf("slow drift rises by %.3f, want at most 0.05", worst)
		}
		step := math.Exp(2)*(3*20+RiseOffset) - RiseOffset
		for i := range frames - 1 {
			if v, _ := feed(r, step); v > 0.05 {
				t.Fatalf("step frame %d of %d: rise %.3f before the step held", i+1, frames, v)
			}
		}
		if v, ok := feed(r, step); !ok || math.Abs(v-2) > 0.05 {
			t.Errorf("an e² step held %d frames rises by %.3f (ok %v), want 2 ± 0.05", frames, v, ok)
		}
		// A one-frame event among steady frames is no rise.
		q := newRise(t, frames, 0)
		for range 30 {
			feed(q, 2)
		}
		if v, _ := feed(q, 50); v > 0 {
			t.Errorf("a single frame event rises by %.3f", v)
		}
	})
}

// TestRiseLevelIsTheMedian: one outlier among the level's frames does not
// move it; negative scores count as 0; NaN has no rise and breaks the row;
// +Inf rises without bound and is never learnt.
func TestRiseLevelIsTheMedian(t *testing.T) {
	r := newRise(t, RiseFrames, 0)
	for i := range RiseWindow + RiseFrames {
		s := 4.0
		if i == 3 {
			s = 1000
		}
		r.Learn(s)
	}
	for range RiseFrames {
		r.Of(4)
	}
	if v, ok := r.Of(4); !ok || v != 0 {
		t.Errorf("rise of the level itself: %v %v, want 0 true", v, ok)
	}
	if _, ok := r.Of(math.NaN()); ok {
		t.Error("NaN has a rise")
	}
	if _, ok := r.Of(4); ok {
		t.Error("a row broken by NaN still measures")
	}
	for range RiseFrames {
		r.Of(math.Inf(1))
	}
	if v, ok := r.Of(math.Inf(1)); !ok || !math.IsInf(v, 1) {
		t.Errorf("+Inf rises by %v %v", v, ok)
	}
	for range RiseWindow + RiseFrames {
		r.Learn(math.Inf(1))
		r.Learn(math.NaN())
	}
	for range RiseFrames {
		r.Of(4)
	}
	if v, _ := r.Of(4); v != 0 {
		t.Errorf("after learning +Inf and NaN the level moved: rise of 4 is %v", v)
	}
	n := newRise(t, RiseFrames, 0)
	for range RiseWindow + 2*RiseFrames {
		feed(n, -3)
	}
	if v, ok := n.Of(0); !ok || v != 0 {
		t.Errorf("negative scores: rise of 0 is %v %v, want 0 true", v, ok)
	}
}

// TestRiseUntrustedAndHold: the frames learnt just before the stream went
// untrusted never reach the level; a level not fed for hold frames is
// forgotten, and measures again once it is full.
func TestRiseUntrustedAndHold(t *testing.T) {
	forHolds(t, func(t *testing.T, frames int) {
		const hold = 30
		r := newRise(t, frames, hold)
		for range RiseWindow + frames {
			r.Learn(1)
		}
		for range frames {
			r.Learn(50) // a fault's first frames, learnt while trusted
		}
		r.Untrusted() // then ERROR
		for range frames {
			r.Learn(1)
		}
		for range frames - 1 {
			r.Of(50)
		}
		for i := range hold - frames + 1 {
			if v, ok := r.Of(50); !ok || math.Abs(v-math.Log(51.0/2)) > 1e-12 {
				t.Fatalf("frame %d without learning: rise %v %v, want log(51/2) against the level of 1", i+1, v, ok)
			}
		}
		if _, ok := r.Of(50); ok {
			t.Fatal("level still held after hold frames without learning")
		}
		if v, ok := feed(r, make50(RiseWindow+2*frames)...); !ok || v != 0 {
			t.Errorf("new level: rise %v %v, want 0 true", v, ok)
		}
		r.Reset()
		if _, ok := r.Of(50); ok {
			t.Error("a reset level still measures")
		}
	})
}

func make50(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 50
	}
	return s
}

// TestRisesIsTheOnlineRise: Rises gives what a Rise learning every frame
// measures online, 0 before it measures, and takes scores that are not
// finite as 0.
func TestRisesIsTheOnlineRise(t *testing.T) {
	forHolds(t, func(t *testing.T, frames int) {
		run := []float64{1, 2, 0.5, 3, 2, 8, 1, 1, 2, 40, 3, math.NaN(), 2, math.Inf(1), 5, 6, 7, 30, 31, 29, 35, 32, 30, 2}
		got, err := Rises(run, frames)
		if err != nil {
			t.Fatal(err)
		}
		r := newRise(t, frames, 0)
		first := -1
		for i, s := range run {
			if math.IsNaN(s) || math.IsInf(s, 0) {
				s = 0
			}
			want, ok := r.Of(s)
			if ok && first < 0 {
				first = i
			}
			if got[i] != want || math.IsNaN(got[i]) {
				t.Errorf("frame %d: Rises %v, online %v", i, got[i], want)
			}
			r.Learn(s)
		}
		if first != RiseWindow+2*frames-1 {
			t.Errorf("the first rise comes at frame %d, want %d", first, RiseWindow+2*frames-1)
		}
		if !(got[len(run)-2] > 1) {
			t.Errorf("the step to 30 held 6 frames and rises by %v", got[len(run)-2])
		}
	})
}

// forHolds runs f for the default hold and for a two-frame one.
func forHolds(t *testing.T, f func(t *testing.T, frames int)) {
	for _, frames := range []int{RiseFrames, 2} {
		t.Run(fmt.Sprintf("hold%d", frames), func(t *testing.T) { f(t, frames) })
	}
}

func newRise(t *testing.T, frames, forget int) *Rise {
	t.Helper()
	r, err := NewRise(frames, forget)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNewRiseHolds: 0 takes RiseFrames; a hold outside 1 to RiseWindow is
// an error.
func TestNewRiseHolds(t *testing.T) {
	if r := newRise(t, 0, 0); r.Frames() != RiseFrames {
		t.Errorf("hold 0 gives %d frames, want %d", r.Frames(), RiseFrames)
	}
	for _, frames := range []int{-1, RiseWindow + 1} {
		if _, err := NewRise(frames, 0); !errors.Is(err, ErrRiseFrames) {
			t.Errorf("hold %d: %v, want ErrRiseFrames", frames, err)
		}
		if _, err := Rises([]float64{1}, frames); !errors.Is(err, ErrRiseFrames) {
			t.Errorf("Rises with hold %d: %v, want ErrRiseFrames", frames, err)
		}
	}
}
