package decision

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrTooFewFrames is wrapped by AlarmThreshold when the clean runs hold no
// window of K frames.
var ErrTooFewFrames = errors.New("decision: too few clean frames")

// AlarmThreshold calibrates a threshold for the persistence rule rather
// than for single frames: it returns the smallest threshold at which a
// Decider with these options, fed only these scores, would never enter
// ERROR on any of the runs. Each run is a contiguous stretch of clean
// frames in order, and the Decider starts afresh at the start of each run,
// as it does after STALE.
//
// A frame is bad when its score exceeds the threshold, so the rule fires
// when the K-th largest score among some N consecutive frames (fewer at the
// start of a run) exceeds it: the result is the largest such K-th largest
// value over all windows. Scores must be finite.
//
// A per-frame percentile does not control the alarm rate, because scores
// of neighbouring frames are correlated: a clean scene event raises several
// frames in a row. Calibrating the rule itself on clean drive does.
func AlarmThreshold(runs [][]float64, opts Options) (float64, error) {
	opts.fill()
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	best := math.Inf(-1)
	windows, err := eachWindow(runs, opts, func(_, _ int, v float64) {
		best = max(best, v)
	})
	if err != nil {
		return 0, err
	}
	if windows == 0 {
		return 0, fmt.Errorf("%w: no window of %d scored frames", ErrTooFewFrames, opts.K)
	}
	return best, nil
}

// eachWindow calls fn with the run index, the frame index and the K-th
// largest score of the window of N frames ending at that frame (fewer at
// the start of a run, from K frames on), and returns the number of
// windows. opts must be filled and valid.
func eachWindow(runs [][]float64, opts Options, fn func(run, frame int, v float64)) (int, error) {
	k, n := opts.K, opts.N
	win := make([]float64, 0, n)
	sorted := make([]float64, 0, n)
	windows := 0
	for r, run := range runs {
		win = win[:0]
		for i, s := range run {
			if math.IsNaN(s) || math.IsInf(s, 0) {
				// No threshold makes a NaN good: a clean run must not hold one.
				return 0, fmt.Errorf("decision: alarm threshold: clean score %v is not finite", s)
			}
			if len(win) == n {
				copy(win, win[1:])
				win = win[:n-1]
			}
			win = append(win, s)
			if len(win) < k {
				continue
			}
			sorted = append(sorted[:0], win...)
			slices.Sort(sorted)
			windows++
			fn(r, i, sorted[len(sorted)-k])
		}
	}
	return windows, nil
}
