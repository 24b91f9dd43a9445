package velodyne_test

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

// BenchmarkDecode measures payload parsing alone (one op = one payload).
func BenchmarkDecode(b *testing.B) {
	payloads := split(velodynetest.EinrideFile(b, "recording.bin"))
	var p velodyne.Packet
	b.SetBytes(velodyne.PayloadSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Decode(payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssemble measures decode + geometry + revolution assembly over
// the real einride recording on one goroutine (one op = one payload). The
// points/s metric counts delivered returns. Each revolution hands the
// receiver a new Scan (3 allocations per ~76 payloads), which allocs/op
// reports amortised; the per-packet path itself allocates nothing.
func BenchmarkAssemble(b *testing.B) {
	payloads := split(velodynetest.EinrideFile(b, "recording.bin"))
	a, err := velodyne.NewAssembler(velodyne.Options{})
	if err != nil {
		b.Fatal(err)
	}
	points := 0
	emit := func(s *sensors.Scan) { points += len(s.Points) }
	// Warm up to steady state: the point slice has reached revolution size.
	for _, p := range payloads[:200] {
		_ = a.Add(p, time.Time{}, emit)
	}
	points = 0
	b.SetBytes(velodyne.PayloadSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.Add(payloads[i%len(payloads)], time.Time{}, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	a.Flush(emit)
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
}

// TestAddAllocatesNothingPerPacket checks the zero-allocation claim for
// packets that do not complete a revolution.
func TestAddAllocatesNothingPerPacket(t *testing.T) {
	payloads := split(velodynetest.EinrideFile(t, "recording.bin"))
	a, _ := velodyne.NewAssembler(velodyne.Options{})
	emit := func(*sensors.Scan) {}
	for _, p := range payloads[:200] {
		_ = a.Add(p, time.Time{}, emit)
	}
	// Payloads 210–250 lie inside one revolution (wraps are ~76 apart and
	// the first is at payload ~42, so the nearest are ~194 and ~270).
	i := 210
	allocs := testing.AllocsPerRun(30, func() {
		_ = a.Add(payloads[i], time.Time{}, emit)
		i++
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per packet inside a revolution, want 0", allocs)
	}
}
