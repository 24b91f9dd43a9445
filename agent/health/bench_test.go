package health

import "testing"

// The health model's fixed-point path beside its float reference (d = 6
// here; a LiDAR vector has 37 features, a camera vector 32).
func BenchmarkEvaluateFixed(b *testing.B) {
	m := trained(b)
	ev := m.NewEvaluator()
	x := normalRows(1, 3)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ev.Score(x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScoreFloat(b *testing.B) {
	m := trained(b)
	x := normalRows(1, 3)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.ScoreFloat(x); err != nil {
			b.Fatal(err)
		}
	}
}
