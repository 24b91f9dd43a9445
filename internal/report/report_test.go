package report

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestROCPoints(t *testing.T) {
	// Scores: positives 3, 2(tie with a negative); negatives 2, 1.
	fpr, tpr, err := ROCPoints([]float64{2, 1}, []float64{3, 2})
	if err != nil {
		t.Fatal(err)
	}
	wantF := []float64{0, 0, 0.5, 1}
	wantT := []float64{0, 0.5, 1, 1}
	for i := range wantF {
		if fpr[i] != wantF[i] || tpr[i] != wantT[i] {
			t.Fatalf("point %d: (%v, %v), want (%v, %v)", i, fpr[i], tpr[i], wantF[i], wantT[i])
		}
	}
	// The area under the points is the AUROC: 0.5·0.5 + 0.5·(0.5+1)/2... by trapezoids.
	area := 0.0
	for i := 1; i < len(fpr); i++ {
		area += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
	}
	if area != 0.875 { // P(pos > neg) + ½P(tie) = (2 + 1 + 0.5)/4
		t.Fatalf("area %v", area)
	}
	if _, _, err := ROCPoints(nil, []float64{1}); !errors.Is(err, ErrInput) {
		t.Fatalf("empty: %v", err)
	}
	if _, _, err := ROCPoints([]float64{math.NaN()}, []float64{1}); !errors.Is(err, ErrInput) {
		t.Fatalf("NaN: %v", err)
	}
}

func TestWriteHTML(t *testing.T) {
	r := Report{
		Title:  "t <1>",
		Notes:  []string{"a & b"},
		Tables: []Table{{Caption: "c", Header: []string{"x", "y"}, Rows: [][]string{{"<b>", "2"}}}},
		ROCs:   []ROC{{Title: "fog s1", Curves: []Curve{{Name: "fixed", Neg: []float64{1, 2, 3}, Pos: []float64{2.5, 4}}}}},
		Timelines: []Timeline{{Title: "run", YLabel: "score", Scores: []float64{1, 2, math.Inf(1), 30, 2}, Threshold: 10,
			Windows: []Window{{Start: 2, End: 4, Label: "fog"}}, LogY: true}},
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if strings.Count(s, "<svg") != 2 || !strings.Contains(s, "&lt;b&gt;") || !strings.Contains(s, "t &lt;1&gt;") {
		t.Fatalf("html:\n%.2000s", s)
	}
	if strings.Contains(s, "src=\"http") || strings.Contains(s, "<script") {
		t.Fatal("report is not self-contained")
	}
	r.Timelines[0].Scores = []float64{math.NaN()}
	if err := WriteHTML(&b, r); !errors.Is(err, ErrInput) {
		t.Fatalf("no finite score: %v", err)
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}}}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "| a | b |\n| --- | --- |\n| 1 | 2 |\n" {
		t.Fatalf("%q", b.String())
	}
}
