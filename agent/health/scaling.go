package health

import (
	"math"
	"slices"
)

// Scaling chooses how Train puts the features on a common scale.
type Scaling int

const (
	// ScaleStandard uses the training block's mean and standard deviation.
	ScaleStandard Scaling = iota
	// ScaleRobust uses the training block's median and 1.4826·MAD (the
	// standard deviation of a normal distribution with that median absolute
	// deviation), so that a few spikes in the normal data do not widen the
	// scale of a feature. A feature that is nearly constant (MAD below the
	// floor, e.g. an error counter that is mostly zero) falls back to its
	// standard deviation, which says how large its rare movements are.
	ScaleRobust
)

// scaleFloor is the smallest scale of a feature with the given centre: a
// feature that never moved in normal data then stands out at any movement,
// without dividing by zero.
func scaleFloor(centre float64) float64 { return 1e-3 * (1 + math.Abs(centre)) }

// robustScaling sets m.Mean to the median and m.Std to the robust scale of
// each feature over rows, ignoring non-finite values.
func robustScaling(m *Model, rows [][]float64) {
	standardization(m, rows) // the fallback scale of nearly constant features
	col := make([]float64, 0, len(rows))
	for i := range m.D() {
		col = col[:0]
		for _, r := range rows {
			if v := r[i]; finite(v) {
				col = append(col, v)
			}
		}
		if len(col) == 0 {
			continue
		}
		slices.Sort(col)
		med := quantileSorted(col, 0.5)
		for j, v := range col {
			col[j] = math.Abs(v - med)
		}
		slices.Sort(col)
		mad := 1.4826 * quantileSorted(col, 0.5)
		m.Mean[i] = med
		if mad >= scaleFloor(med) {
			m.Std[i] = mad
		} else {
			m.Std[i] = max(m.Std[i], scaleFloor(med))
		}
	}
}
