package evaluate

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrInput is returned (wrapped) for empty or NaN inputs.
var ErrInput = errors.New("evaluate: bad input")

type labelled struct {
	s   float64
	pos bool
}

func merge(neg, pos []float64) ([]labelled, error) {
	if len(neg) == 0 || len(pos) == 0 {
		return nil, fmt.Errorf("%w: need negatives and positives (%d, %d)", ErrInput, len(neg), len(pos))
	}
	all := make([]labelled, 0, len(neg)+len(pos))
	for _, v := range neg {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("%w: NaN score", ErrInput)
		}
		all = append(all, labelled{v, false})
	}
	for _, v := range pos {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("%w: NaN score", ErrInput)
		}
		all = append(all, labelled{v, true})
	}
	// Descending score; within ties negatives first is irrelevant because
	// ties are processed as groups.
	sort.SliceStable(all, func(i, j int) bool { return all[i].s > all[j].s })
	return all, nil
}

// AUROC returns the area under the ROC curve of scores of negatives (clean)
// and positives (faulty).
func AUROC(neg, pos []float64) (float64, error) {
	all, err := merge(neg, pos)
	if err != nil {
		return 0, err
	}
	// Sum over positives of (#neg below + ½ #neg tied).
	var acc float64
	nNeg := float64(len(neg))
	negAbove := 0.0
	for i := 0; i < len(all); {
		j := i
		var p, n float64
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				p++
			} else {
				n++
			}
		}
		acc += p * (nNeg - negAbove - n + 0.5*n)
		negAbove += n
		i = j
	}
	return acc / (nNeg * float64(len(pos))), nil
}

// FPRAtTPR returns the smallest false-positive rate at which a threshold
// flags at least a fraction tpr of the positives (0.95 for "FPR at 95 % TPR").
func FPRAtTPR(neg, pos []float64, tpr float64) (float64, error) {
	all, err := merge(neg, pos)
	if err != nil {
		return 0, err
	}
	if !(tpr > 0 && tpr <= 1) {
		return 0, fmt.Errorf("%w: tpr %g", ErrInput, tpr)
	}
	need := tpr * float64(len(pos))
	var tp, fp float64
	for i := 0; i < len(all); {
		j := i
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				tp++
			} else {
				fp++
			}
		}
		if tp >= need-1e-9 {
			return fp / float64(len(neg)), nil
		}
		i = j
	}
	return 1, nil
}

// AUPR returns the average precision with the positives as the relevant
// class: Σ over thresholds of (recall step) × precision, ties as one step.
func AUPR(neg, pos []float64) (float64, error) {
	all, err := merge(neg, pos)
	if err != nil {
		return 0, err
	}
	var tp, fp, ap float64
	np := float64(len(pos))
	for i := 0; i < len(all); {
		j := i
		var p float64
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				p++
			} else {
				fp++
			}
		}
		tp += p
		ap += (p / np) * tp / (tp + fp)
		i = j
	}
	return ap, nil
}

// Flagged returns the fraction of scores strictly above threshold.
func Flagged(scores []float64, threshold float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	n := 0
	for _, s := range scores {
		if s > threshold {
			n++
		}
	}
	return float64(n) / float64(len(scores))
}

// ranks returns mid-ranks (1-based, ties averaged).
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			r[idx[k]] = mid
		}
		i = j
	}
	return r
}

// Spearman returns Spearman's rank correlation of paired samples.
func Spearman(a, b []float64) (float64, error) {
	if len(a) != len(b) || len(a) < 2 {
		return 0, fmt.Errorf("%w: %d and %d samples", ErrInput, len(a), len(b))
	}
	for i := range a {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) {
			return 0, fmt.Errorf("%w: NaN sample", ErrInput)
		}
	}
	ra, rb := ranks(a), ranks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	n := float64(len(ra))
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-ma, rb[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0, fmt.Errorf("%w: constant sample", ErrInput)
	}
	return sab / math.Sqrt(saa*sbb), nil
}
