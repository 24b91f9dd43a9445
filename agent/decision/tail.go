package decision

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// DefaultAlarmRate is the false-alarm rate per alarm that calibration aims
// at by default, in entries into ERROR per hour of clean stream: a budget
// of one false ERROR per hour per sensor, split between its two alarms
// (frame score and health model), and halved again because the
// extrapolation is good to about a factor of two.
const DefaultAlarmRate = 0.25

// Tail is what AlarmTail measured and set.
type Tail struct {
	// Max is AlarmThreshold of the runs: the rule never enters ERROR on
	// them at a threshold at or above it.
	Max float64
	// Threshold is the larger of Max and the level at which the fitted
	// tail gives Rate entries into ERROR per hour. It is Max when the tail
	// could not be fitted (Fitted false).
	Threshold float64
	// Rate is the target, in entries into ERROR per hour of clean stream;
	// Hours the clean time the runs cover.
	Rate, Hours float64
	// Events is the number of separate clean episodes whose peak was used
	// for the fit, Base the level they were counted above (Events per
	// Hours is the clean rate of entries at a threshold of Base).
	Events int
	Base   float64
	// Shape (ξ) and Scale (σ) of the generalised Pareto distribution
	// fitted to the peaks' excesses over Base; ξ ≥ 0.
	Shape, Scale float64
	// Fitted is false when the runs held too few separate episodes, or
	// the fit failed; Why says which.
	Fitted bool
	Why    string
}

// Tail fitting limits: the fit uses the largest episodes, at most
// maxTailEvents of them, and needs minTailEvents.
const (
	minTailEvents = 10
	maxTailEvents = 50
	// tailWindows is the fraction of windows above the level episodes
	// are first counted at.
	tailWindows = 0.02
)

// ErrAlarmRate is wrapped by AlarmTail for a target rate or frame period
// that is not positive and finite.
var ErrAlarmRate = errors.New("decision: invalid alarm rate")

// AlarmTail calibrates the persistence rule's threshold for a target rate
// of false alarms rather than for silence on the clean runs seen.
//
// AlarmThreshold (the silence level) is the largest of the runs' window
// statistics, the K-th largest score of N consecutive frames. Set there,
// the rule enters ERROR on new clean drive whenever an episode of it (a
// vehicle passing close, a wall filling the view) is larger than every
// episode of the calibration drive, which by exchangeability happens about
// once per calibration length: calibrated on 28 minutes of simulated
// VLP-16 drive, it entered ERROR 4 times in 3 hours of new drive.
//
// AlarmTail extrapolates instead, by peaks over threshold: it splits the
// runs into separate episodes of high window statistics (windows above the
// level a fraction tailWindows of them exceed; an episode ends after M+N
// windows below it, the time the rule needs to leave ERROR and refill a
// window), fits a generalised Pareto distribution to the excesses of the
// largest episode peaks over the next largest (Base) by probability
// weighted moments (a fitted bounded tail, shape below 0, is replaced by
// an exponential one), and returns the level the fitted tail crosses rate
// times per hour, never below the silence level. period is the frames'
// nominal period, used to turn frames into hours.
func AlarmTail(runs [][]float64, opts Options, period time.Duration, rate float64) (Tail, error) {
	opts.fill()
	if err := opts.Validate(); err != nil {
		return Tail{}, err
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return Tail{}, fmt.Errorf("%w: %v per hour (want > 0)", ErrAlarmRate, rate)
	}
	if period <= 0 {
		return Tail{}, fmt.Errorf("%w: frame period %v (want > 0)", ErrAlarmRate, period)
	}
	frames := 0
	for _, run := range runs {
		frames += len(run)
	}
	t := Tail{Max: math.Inf(-1), Rate: rate, Hours: (time.Duration(frames) * period).Hours()}
	var all []float64
	stats := make([][]float64, len(runs))
	windows, err := eachWindow(runs, opts, func(r, _ int, v float64) {
		stats[r] = append(stats[r], v)
		all = append(all, v)
		t.Max = max(t.Max, v)
	})
	if err != nil {
		return Tail{}, err
	}
	if windows == 0 {
		return Tail{}, fmt.Errorf("%w: no window of %d scored frames", ErrTooFewFrames, opts.K)
	}
	t.Threshold = t.Max
	slices.Sort(all)
	level := all[int(float64(len(all)-1)*(1-tailWindows))]
	peaks := episodePeaks(stats, level, opts.M+opts.N)
	if len(peaks) <= minTailEvents {
		t.Why = fmt.Sprintf("%d separate clean episodes above the %g quantile of the window statistics, need %d", len(peaks), 1-tailWindows, minTailEvents+1)
		return t, nil
	}
	slices.Sort(peaks)
	slices.Reverse(peaks)
	n := min(len(peaks)-1, maxTailEvents)
	t.Events, t.Base = n, peaks[n]
	excess := make([]float64, n)
	for i := range excess {
		excess[i] = peaks[i] - t.Base
	}
	t.Shape, t.Scale, err = fitGPD(excess)
	if err != nil {
		t.Why = err.Error()
		return t, nil
	}
	if t.Shape < 0 {
		// A bounded tail is not trusted: fifty episodes cannot show where
		// clean drive ends, and a negative shape from sampling noise
		// alone put the threshold too low (on exponential scores, where
		// ξ = 0, a fitted ξ of -0.39 gave eight times the target rate).
		// Take the tail as exponential instead, whose maximum-likelihood
		// scale is the mean excess.
		t.Shape, t.Scale = 0, mean(excess)
	}
	t.Fitted = true
	// Episodes per hour above Base, and above Base + y: λ·(1 + ξy/σ)^(-1/ξ).
	lambda := float64(n) / t.Hours
	var y float64
	switch ratio := lambda / rate; {
	case ratio <= 1:
		y = 0
	case math.Abs(t.Shape) < 1e-9:
		y = t.Scale * math.Log(ratio)
	default:
		y = t.Scale / t.Shape * (math.Pow(ratio, t.Shape) - 1)
	}
	if u := t.Base + y; u > t.Threshold {
		t.Threshold = u
	}
	if math.IsNaN(t.Threshold) || math.IsInf(t.Threshold, 0) {
		return t, fmt.Errorf("decision: alarm tail: threshold %v (shape %.3g, scale %.3g)", t.Threshold, t.Shape, t.Scale)
	}
	return t, nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// episodePeaks returns the peak of each episode of window statistics above
// level; an episode ends after gap windows at or below it, or at the end
// of its run.
func episodePeaks(stats [][]float64, level float64, gap int) []float64 {
	var peaks []float64
	for _, run := range stats {
		in, below, peak := false, 0, 0.0
		for _, v := range run {
			switch {
			case v > level && in:
				peak, below = max(peak, v), 0
			case v > level:
				in, peak, below = true, v, 0
			case in:
				if below++; below >= gap {
					peaks = append(peaks, peak)
					in = false
				}
			}
		}
		if in {
			peaks = append(peaks, peak)
		}
	}
	return peaks
}

// fitGPD fits a generalised Pareto distribution with shape ξ and scale σ,
// F(y) = 1 − (1 + ξy/σ)^(-1/ξ), to non-negative excesses by probability
// weighted moments (Hosking and Wallis, 1987): with
// α_s = E[Y (1−F(Y))^s] = σ / ((s+1)(s+1−ξ)), the ratio r = α₀/α₁ gives
// ξ = (r−4)/(r−2) and σ = α₀(1−ξ). The estimate is always below 1 (a
// finite mean); it is good for ξ < 0.5.
func fitGPD(excess []float64) (shape, scale float64, err error) {
	ys := slices.Clone(excess)
	slices.Sort(ys)
	n := float64(len(ys))
	var a0, a1 float64
	for i, y := range ys {
		a0 += y
		a1 += y * (n - 1 - float64(i)) / (n - 1)
	}
	a0, a1 = a0/n, a1/n
	if a0 <= 0 || a1 <= 0 {
		return 0, 0, fmt.Errorf("the %d largest clean episodes are all equal", len(ys))
	}
	// a₁ ≤ a₀/2 for any sample (the weights fall as y rises), with
	// equality only when all excesses are equal; r → 2 is ξ → −∞, r → ∞ is
	// ξ → 1.
	r := a0 / a1
	if r <= 2*(1+1e-9) {
		return 0, 0, fmt.Errorf("the %d largest clean episodes' excesses are degenerate (moment ratio %.3g)", len(ys), r)
	}
	shape = (r - 4) / (r - 2)
	return shape, a0 * (1 - shape), nil
}
