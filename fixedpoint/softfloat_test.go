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
	for i := range x {
		x[i] = int16(r.Intn(1<<16) - 1<<15)
	}
	w8 := make([]int8, 64*16)
	r.FillRademacher(w8)
	w16 := make([]int16, 64*16)
	for i := range w16 {
		w16[i] = int16(r.Normal())
	}
	rq := []fp.Requant{{M: 1<<30 + r.Intn(1<<20), Shift: -int32(len(os.Args))}}
	act := fp.Act{Kind: fp.ActKind(len(os.Args) % 2)}
	y := make([]int16, 16)
	y32 := make([]int32, 16)
	y64 := make([]int64, 16)
	for i := range y64 {
		y64[i] = int64(r.Uint32())
	}
	var s int64
	var errs int
	if fp.DenseI16(y, x, w16, nil, rq, act) != nil {
		errs++
	}
	s += fp.DotI16(w16, x) + fp.DotI16I64(x, y64) + fp.QuadFormActive(y32[:4], y64[:2], []int32{1, 0}, len(os.Args))
	s += fp.ExpQ(s, uint(len(os.Args))) + fp.LogSumExpQ(y64, 12)
	v := int32(s) ^ r.Normal() + rq[0].Apply64(s) + int32(fp.Sat16(int32(s))) + fp.Sat32(s)
	v += fp.RoundShift32(v, 3) + int32(fp.RoundShift64(s, 7)+fp.AddSat64(s, s)+fp.ShiftLeftSat64(s, 3)+fp.MulRoundShift64(s>>40, s>>45, 9))
	os.Exit(int(v&1) + errs + int(y[0]))
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
