package host_test

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
)

// TestTrainCost measures what learning costs on the robot: the time to
// train on HOST_TRAIN_COST samples (e.g. 86400, a day at 1 Hz) and the
// peak of the Go heap while doing it, samples included. Cross-compile it
// (GOARCH=arm64 go test -c) to measure on a board or under qemu.
func TestTrainCost(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HOST_TRAIN_COST"))
	if n == 0 {
		t.Skip("set HOST_TRAIN_COST to the number of samples")
	}
	runtime.GC()
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var mx uint64
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			metrics.Read(s)
			mx = max(mx, s[0].Value.Uint64())
			select {
			case <-stop:
				peak <- mx
				return
			case <-tk.C:
			}
		}
	}()
	m := &hostsim.Machine{Seed: 1}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = m.Sample(t0.Add(time.Duration(i) * time.Second)).Features(nil)
	}
	start := time.Now()
	model, rep, err := host.Train(context.Background(), rows, host.LearnOptions{})
	took := time.Since(start)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d samples, %d epochs, trained in %v, peak heap %.1f MiB (samples %.1f MiB), warn %.3g error %.3g",
		runtime.GOARCH, n, rep.Epochs, took.Round(time.Millisecond), float64(<-peak)/(1<<20),
		float64(n*(24+8*len(host.Names())))/(1<<20), model.Warn, model.Error)
}
