package evaluate

import (
	"errors"
	"math"
	"testing"
)

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestAUROCHandComputed(t *testing.T) {
	// Perfect separation.
	a, _ := AUROC([]float64{1, 2, 3}, []float64{4, 5})
	near(t, "perfect", a, 1)
	// Reversed.
	a, _ = AUROC([]float64{4, 5}, []float64{1, 2, 3})
	near(t, "reversed", a, 0)
	// neg {1,3}, pos {2,4}: pairs (2>1) (2<3) (4>1) (4>3) → 3/4.
	a, _ = AUROC([]float64{1, 3}, []float64{2, 4})
	near(t, "mixed", a, 0.75)
	// Ties count half: neg {1,2}, pos {2}: 2>1 → 1, 2=2 → ½ → 1.5/2.
	a, _ = AUROC([]float64{1, 2}, []float64{2})
	near(t, "tie", a, 0.75)
	a, _ = AUROC([]float64{5, 5, 5}, []float64{5, 5})
	near(t, "all tied", a, 0.5)
}

func TestFPRAtTPR(t *testing.T) {
	// pos {2,4,6,8}, neg {1,3,5,7}: to catch ≥ 95 % (all 4) the threshold
	// must reach 2, which flags negatives 3,5,7 → 3/4.
	f, _ := FPRAtTPR([]float64{1, 3, 5, 7}, []float64{2, 4, 6, 8}, 0.95)
	near(t, "fpr95", f, 0.75)
	// TPR 0.5 needs 8 and 6 → negative 7 above → 1/4.
	f, _ = FPRAtTPR([]float64{1, 3, 5, 7}, []float64{2, 4, 6, 8}, 0.5)
	near(t, "fpr50", f, 0.25)
	f, _ = FPRAtTPR([]float64{1, 2}, []float64{3, 4}, 0.95)
	near(t, "separated", f, 0)
}

func TestAUPR(t *testing.T) {
	// Ranking desc: 4(p) 3(n) 2(p) 1(n): AP = ½·1 + ½·(2/3).
	a, _ := AUPR([]float64{1, 3}, []float64{2, 4})
	near(t, "aupr", a, 0.5+1.0/3)
	a, _ = AUPR([]float64{1, 2}, []float64{3, 4})
	near(t, "perfect", a, 1)
}

func TestSpearman(t *testing.T) {
	r, _ := Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40})
	near(t, "monotone", r, 1)
	r, _ = Spearman([]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1})
	near(t, "reversed", r, -1)
	// Classic: d = (0, -1, 1, 0)... ranks a=(1,2,3,4), b=(1,3,2,4):
	// ρ = 1 − 6Σd²/(n(n²−1)) = 1 − 6·2/60 = 0.8.
	r, _ = Spearman([]float64{1, 2, 3, 4}, []float64{1, 3, 2, 4})
	near(t, "swap", r, 0.8)
	// Ties: a=(1,1,2), b=(1,2,3): ranks a=(1.5,1.5,3) → Pearson = √3/2.
	r, _ = Spearman([]float64{1, 1, 2}, []float64{1, 2, 3})
	near(t, "ties", r, math.Sqrt(3)/2)
}

func TestErrors(t *testing.T) {
	if _, err := AUROC(nil, []float64{1}); !errors.Is(err, ErrInput) {
		t.Error("empty negatives accepted")
	}
	if _, err := AUROC([]float64{math.NaN()}, []float64{1}); !errors.Is(err, ErrInput) {
		t.Error("NaN accepted")
	}
	if _, err := Spearman([]float64{1, 1}, []float64{1, 2}); !errors.Is(err, ErrInput) {
		t.Error("constant sample accepted")
	}
	if _, err := Spearman([]float64{1}, []float64{1, 2}); !errors.Is(err, ErrInput) {
		t.Error("length mismatch accepted")
	}
	near(t, "flagged", Flagged([]float64{1, 2, 3, 4}, 2), 0.5)
}
