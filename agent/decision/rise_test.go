package decision

import (
	"math"
	"testing"
)

// TestRiseStepNotDrift: a score that wanders twentyfold over a minute, one
// frame at a time, rises little against its own recent level; the same
// score stepping up by a factor of e² at once rises by about 2 on the very
// frame.
func TestRiseStepNotDrift(t *testing.T) {
	r := NewRise(0)
	const frames = 900 // a minute at 15 fps
	worst := math.Inf(-1)
	for i := range frames {
		s := 3 * math.Pow(20, float64(i)/frames)
		if v, ok := r.Of(s); ok {
			worst = max(worst, v)
		} else if i >= RiseWindow {
			t.Fatalf("frame %d: no rise with a full level", i)
		}
		r.Learn(s)
	}
	if worst > 0.05 {
		t.Errorf("slow drift rises by %.3f, want at most 0.05", worst)
	}
	last := 3 * 20.0
	v, ok := r.Of(math.Exp(2)*(last+RiseOffset) - RiseOffset)
	if !ok || math.Abs(v-2) > 0.05 {
		t.Errorf("an e² step rises by %.3f (ok %v), want 2 ± 0.05", v, ok)
	}
}

// TestRiseLevelIsTheMedian: one outlier among the recent frames does not
// move the level; negative scores count as 0; NaN has no rise; +Inf rises
// without bound and is never learnt.
func TestRiseLevelIsTheMedian(t *testing.T) {
	r := NewRise(0)
	for i := range RiseWindow {
		s := 4.0
		if i == 3 {
			s = 1000
		}
		r.Learn(s)
	}
	if v, ok := r.Of(4); !ok || v != 0 {
		t.Errorf("rise of the level itself: %v %v, want 0 true", v, ok)
	}
	if _, ok := r.Of(math.NaN()); ok {
		t.Error("NaN has a rise")
	}
	if v, ok := r.Of(math.Inf(1)); !ok || !math.IsInf(v, 1) {
		t.Errorf("+Inf rises by %v", v)
	}
	r.Learn(math.Inf(1))
	r.Learn(math.NaN())
	if v, _ := r.Of(4); v != 0 {
		t.Errorf("after learning +Inf and NaN the level moved: rise of 4 is %v", v)
	}
	n := NewRise(0)
	for range RiseWindow {
		n.Learn(-3)
	}
	if v, _ := n.Of(0); v != 0 {
		t.Errorf("negative scores: rise of 0 is %v, want 0", v)
	}
}

// TestRiseHold: a level not fed for hold frames is forgotten, and measures
// again once RiseWindow frames are learnt.
func TestRiseHold(t *testing.T) {
	const hold = 20
	r := NewRise(hold)
	for range RiseWindow {
		r.Learn(1)
	}
	for i := range hold {
		if _, ok := r.Of(50); !ok {
			t.Fatalf("frame %d of %d without learning: level forgotten early", i+1, hold)
		}
	}
	if _, ok := r.Of(50); ok {
		t.Fatal("level still held after hold frames without learning")
	}
	for range RiseWindow {
		r.Learn(50)
	}
	if v, ok := r.Of(50); !ok || v != 0 {
		t.Errorf("new level: rise %v %v, want 0 true", v, ok)
	}
	r.Reset()
	if _, ok := r.Of(50); ok {
		t.Error("a reset level still measures")
	}
}

// TestRisesIsTheOnlineRise: Rises gives what a Rise learning every frame
// measures online, 0 before the level is full, and takes scores that are
// not finite as 0.
func TestRisesIsTheOnlineRise(t *testing.T) {
	run := []float64{1, 2, 0.5, 3, 2, 8, 1, 1, 2, 40, 3, math.NaN(), 2, math.Inf(1), 5, 6}
	got := Rises(run)
	r := NewRise(0)
	for i, s := range run {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			s = 0
		}
		want, ok := r.Of(s)
		if !ok {
			want = 0
			if i >= RiseWindow {
				t.Fatalf("frame %d: level not full", i)
			}
		}
		if got[i] != want || math.IsNaN(got[i]) {
			t.Errorf("frame %d: Rises %v, online %v", i, got[i], want)
		}
		r.Learn(s)
	}
	if got[RiseWindow-1] != 0 || got[RiseWindow] == 0 {
		t.Errorf("the first rise comes at frame %d: %v", RiseWindow, got[:RiseWindow+1])
	}
}
