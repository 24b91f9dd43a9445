package fixedpoint

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/fixedpoint/intcheck"
)

// softFloatProbe calls every score-path entry point on inputs derived from
// os.Args, so the linker keeps them and nothing is folded to a constant.
const softFloatProbe = `package main

import (
	"os"

	fp "github.com/sensortrust/trustagent/fixedpoint"
)

func main() {
	r := fp.NewRand(uint64(len(os.Args)))
	x := make([]int16, 64)
	r.FillNormal16(x)
	w8 := make([]int8, 64*16)
	r.FillRademacher(w8)
	w16 := make([]int16, 64*16)
	r.FillNormal16(w16)
	rq := []fp.Requant{{M: 1<<30 + r.Intn(1<<20), Shift: -int32(len(os.Args))}}
	act := fp.Act{Kind: fp.ActKind(len(os.Args) % 4), Leak: 300, Lo: -5, Hi: 5}
	y := make([]int16, 16)
	y32 := make([]int32, 16)
	y64 := make([]int64, 16)
	var s int64
	var errs int
	check := func(err error) {
		if err != nil {
			errs++
		}
	}
	check(fp.DenseI8(y, x, w8, nil, rq, act))
	check(fp.DenseI8X8(y, w8[:64], w8, nil, rq, act))
	s += fp.DotI8(w8, w8)
	check(fp.DenseI16(y, x, w16, nil, rq, act))
	check(fp.DenseI8Q32(y32, x, w8, nil, rq))
	check(fp.DenseI16Q32(y32, x, w16, nil, rq))
	check(fp.MatVecI8(y64, w8, x))
	check(fp.MatVecI16(y64, w16, x))
	check(fp.MatTVecI16(y64, w16, x[:16]))
	s += fp.DotI16I64(x, y64) + fp.QuadFormActive(y32[:4], y64[:2], []int32{1, 0}, len(os.Args))
	cs := fp.Conv2D{InC: 1, InH: 8, InW: 8, OutC: 1, KH: 3, KW: 3, PadH: 1, PadW: 1}
	co := make([]int16, 64)
	check(fp.Conv2DI8(co, x, cs, w8[:9], nil, rq, act))
	q, err := fp.QuadFormI16(w16[:64], x[:8])
	check(err)
	s += q
	q, err = fp.QuadFormI32(y32[:4], x[:2], uint(len(os.Args)))
	check(err)
	s += q
	s += fp.DotI8I16(w8, x) + fp.DotI16(w16, x) + fp.DotI32I16(y32, x)
	v := int32(s) ^ r.Normal() ^ r.Uniform() ^ r.Rademacher() ^ int32(r.Uint32())
	v += fp.Exp(v) + fp.Log(v) + fp.Log2(v) + fp.LnU64(uint64(s), 3) + fp.Log2U64(uint64(s), 5)
	v += fp.Softplus(v) + fp.Sigmoid(v) + fp.LogSigmoid(v) + fp.Tanh(v)
	v += fp.LogSumExp(y32) + fp.LogMeanExp(y32)
	s += fp.ExpQ(s, uint(len(os.Args))) + fp.LnQ(s, 12) + fp.LogSumExpQ(y64, 12) + fp.LogMeanExpQ(y64, 20)
	v += rq[0].Apply(v) + rq[0].Apply64(s) + fp.MulQ16(v, v) + fp.MulQ(v, v, 3, 4, 5) + fp.Rescale(v, 3, 9)
	v += fp.AddSat32(v, 1) + fp.SubSat32(v, 2) + int32(fp.AddSat16(int16(v), 3)+fp.SubSat16(int16(v), 4)+int16(fp.Sat8(v)))
	v += fp.RoundShift32(v, 3) + int32(fp.RoundShift64(s, 7)+fp.AddSat64(s, s)+fp.ShiftLeftSat64(s, 3))
	os.Exit(int(v&1) + errs)
}
`

// TestNoSoftFloat builds the probe for GOARM=5, where every float operation
// becomes a call into the runtime's soft-float routines, and checks that
// none is reachable from any fixedpoint symbol.
func TestNoSoftFloat(t *testing.T) {
	needGo(t)
	if testing.Short() {
		t.Skip("builds and disassembles an ARM binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := intcheck.SoftFloat(ctx, intcheck.SoftFloatConfig{
		Dir:   ".",
		Probe: []byte(softFloatProbe),
		Roots: regexp.MustCompile(`^github\.com/sensortrust/trustagent/fixedpoint\.`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Calls {
		t.Errorf("soft-float routine %s reachable: %s", c.Routine, strings.Join(c.Path, " → "))
	}
	t.Logf("%d fixedpoint symbols in the GOARM=5 probe, %d functions walked, %d soft-float calls", len(rep.Roots), rep.Walked, len(rep.Calls))
	if len(rep.Roots) < 10 {
		t.Errorf("only %d fixedpoint symbols in the probe: %v", len(rep.Roots), rep.Roots)
	}
}
