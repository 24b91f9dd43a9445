package fixedpoint

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current implementation")

const goldenPath = "testdata/golden.json"

// goldenFile is the on-disk form of the golden vectors.
type goldenFile struct {
	Provenance string             `json:"provenance"`
	Vectors    map[string][]int64 `json:"vectors"`
}

const goldenProvenance = "Outputs of the fixedpoint kernels on inputs drawn from fixedpoint.Rand " +
	"(seeds in golden_test.go). Generated on linux/amd64 by `go test ./fixedpoint -run TestGolden -update`, " +
	"checked against float64 references by the accuracy tests of the same commit, and compared bit-exactly " +
	"on every architecture (amd64, arm64, 32-bit arm under qemu-user)."

// goldenVectors computes every golden vector from scratch.
func goldenVectors(t *testing.T) map[string][]int64 {
	v := map[string][]int64{}
	put := func(name string, xs any) {
		var out []int64
		switch s := xs.(type) {
		case []int16:
			for _, x := range s {
				out = append(out, int64(x))
			}
		case []int32:
			for _, x := range s {
				out = append(out, int64(x))
			}
		case []int64:
			out = append(out, s...)
		case []uint32:
			for _, x := range s {
				out = append(out, int64(x))
			}
		case []int8:
			for _, x := range s {
				out = append(out, int64(x))
			}
		}
		v[name] = out
	}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	r := NewRand(20240601)
	u := make([]uint32, 32)
	for i := range u {
		u[i] = r.Uint32()
	}
	put("rand/uint32/seed20240601", u)
	r = NewRand(7)
	z := make([]int32, 32)
	for i := range z {
		z[i] = r.Normal()
	}
	put("rand/normal/seed7", z)
	s := make([]int8, 64)
	r.FillRademacher(s)
	put("rand/rademacher/seed7", s)
	in := make([]int32, 32)
	for i := range in {
		in[i] = r.Intn(1000)
	}
	put("rand/intn1000/seed7", in)

	// Requantisation of random accumulators: draws 441 to 632 of seed 1.
	r = NewRand(1)
	for range 440 {
		r.Uint32()
	}
	acc := make([]int64, 64)
	rqOut := make([]int32, 0, 64*3)
	for i := range acc {
		acc[i] = int64(uint64(r.Uint32())<<32|uint64(r.Uint32())) >> (r.Uint32() % 40)
	}
	for _, q := range []Requant{{M: 1518500250, Shift: -7}, {M: 1 << 30, Shift: 3}, {M: 2147483647, Shift: -20}} {
		for _, a := range acc {
			rqOut = append(rqOut, q.Apply64(a))
		}
	}
	put("requant/acc", acc)
	put("requant/out", rqOut)

	// A dense layer 48 → 24 with int16 weights, without and with ReLU, on
	// draws of seed 2 (the weights come after 1152 draws of Intn(255)).
	r = NewRand(2)
	x := randI16(r, 48, 32767)
	for range 24 * 48 {
		r.Intn(255)
	}
	w16 := randI16(r, 24*48, 32767)
	b64 := make([]int64, 24)
	rq := make([]Requant, 24)
	for o := range rq {
		b64[o] = int64(int32(r.Uint32())>>6) << 10
		rq[o] = Requant{M: 1<<30 + int32(r.Uint32()>>2), Shift: -int32(r.Intn(12)) - 4}
	}
	for i, act := range acts {
		d := make([]int16, 24)
		check(DenseI16(d, x, w16, b64, rq[:1], act))
		put("dense/i16/act"+string(rune('0'+i)), d)
	}

	// Exp and log-sum-exp in Q51.12 (and Q33.30).
	r = NewRand(12)
	xq := make([]int64, 48)
	for i := range xq {
		xq[i] = int64(int32(r.Uint32())) >> 14
	}
	put("q12/input", xq)
	var eq []int64
	for _, x := range xq {
		eq = append(eq, ExpQ(x, 12))
	}
	put("q12/exp", eq)
	put("q12/lse", []int64{LogSumExpQ(xq, 12), LogSumExpQ(xq[:5], 30)})

	// The int16×int64 dot product and the active-unit quadratic form, on
	// operands inside their overflow bounds. Both are the likelihood score
	// path's arithmetic: its golden integer scores (likelihood/golden_test.go)
	// pin the same kernels end to end on a generated network.
	r = NewRand(22)
	a16 := randI16(r, 96, 32767)
	x64 := randI64(r, 96, 1<<20)
	var dots []int64
	for _, n := range []int{0, 1, 5, 33, 96} {
		dots = append(dots, DotI16I64(a16[:n], x64[:n]))
	}
	put("dot/i16i64", dots)
	var qfs []int64
	for _, c := range []quadCase{
		newQuadCase(r, 48, 50, 1<<12, 10, -2), newQuadCase(r, 48, 50, 1<<12, 10, 0),
		newQuadCase(r, 48, 50, 1<<12, 10, 9), newQuadCase(r, 48, 50, 1<<12, 10, 17),
		newQuadCase(r, 48, 50, 1<<20, 0, 24), newQuadCase(r, 48, 50, 1<<20, 0, 40),
	} {
		if _, ok := c.ref(); !ok {
			t.Fatalf("quadform golden case outside the overflow bound")
		}
		qfs = append(qfs, QuadFormActive(c.g, c.h, c.active, c.shift))
	}
	put("quadform/active", qfs)
	return v
}

// TestGolden compares every kernel's output bit-exactly with
// testdata/golden.json; -update regenerates the file.
func TestGolden(t *testing.T) {
	got := goldenVectors(t)
	if *update {
		b, err := marshalGolden(goldenFile{Provenance: goldenProvenance, Vectors: got})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d vectors)", goldenPath, len(got))
		return
	}
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	var want goldenFile
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Vectors) != len(got) {
		t.Errorf("golden file has %d vectors, implementation %d", len(want.Vectors), len(got))
	}
	for name, w := range want.Vectors {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: no longer computed", name)
			continue
		}
		if len(g) != len(w) {
			t.Errorf("%s: length %d, golden %d", name, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s[%d] = %d, golden %d", name, i, g[i], w[i])
				break
			}
		}
	}
}

// marshalGolden writes one vector per line, sorted by name, so that diffs of
// the golden file stay readable.
func marshalGolden(g goldenFile) ([]byte, error) {
	var b bytes.Buffer
	p, err := json.Marshal(g.Provenance)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "{\n \"provenance\": %s,\n \"vectors\": {\n", p)
	names := make([]string, 0, len(g.Vectors))
	for n := range g.Vectors {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		v, err := json.Marshal(g.Vectors[n])
		if err != nil {
			return nil, err
		}
		sep := ","
		if i == len(names)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %q: %s%s\n", n, v, sep)
	}
	b.WriteString(" }\n}")
	return b.Bytes(), nil
}
