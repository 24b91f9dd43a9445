package agent

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// TestHostUnderStress runs the real host collector (this machine's /proc
// and /sys) under the agent, learns the host model on a few minutes of the
// machine's own behaviour (TRUSTAGENT_MEASURE_HOST_LEARN samples at 1 s,
// default 300), then stresses the machine from a child process, one load
// at a time, and reports whether the host left OK, after how many seconds,
// and which features the reasons named:
//
//   - cpu: two busy loops for 60 s;
//   - mem: 2 GB taken at 50 MB/s and held for 20 s;
//   - disk: 2 GB written at 50 MB/s to a temporary file in the state
//     directory's file system, held for 20 s, then deleted.
//
// A measurement, not a pass/fail test: it loads the machine it runs on,
// so it runs only with TRUSTAGENT_MEASURE_HOST_STRESS=1 (make host-stress)
// and takes about 15 minutes.
func TestHostUnderStress(t *testing.T) {
	if os.Getenv("TRUSTAGENT_MEASURE_HOST_STRESS") != "1" {
		t.Skip("set TRUSTAGENT_MEASURE_HOST_STRESS=1 to load this machine and measure the host model (about 15 minutes)")
	}
	learn := 300
	if v := os.Getenv("TRUSTAGENT_MEASURE_HOST_LEARN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < host.MinLearnSamples {
			t.Fatalf("TRUSTAGENT_MEASURE_HOST_LEARN=%q: want an integer >= %d", v, host.MinLearnSamples)
		}
		learn = n
	}
	state := t.TempDir()
	l, err := host.OpenLearner(host.LearnOptions{Dir: filepath.Join(state, "host"), Samples: learn})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := New(Options{
		Robot:   "measure",
		Sensors: []SensorOptions{{Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: 100 * time.Millisecond}}}},
		Host:    HostOptions{Collector: host.New(host.Options{StateDir: state}), Learner: l, Period: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAgent(t, a)
	defer stop()

	start := time.Now()
	for a.Status().Host.Phase != PhaseJudging {
		if time.Since(start) > time.Duration(learn)*time.Second+10*time.Minute {
			t.Fatalf("no host model after %v: %s", time.Since(start), a.Status().Host.Detail)
		}
		time.Sleep(time.Second)
	}
	m := l.Model()
	t.Logf("learnt on %d samples in %v: warn %.3g, error %.3g", learn, time.Since(start).Round(time.Second), m.Warn, m.Error)
	var scales []string
	for i, n := range m.Names {
		scales = append(scales, fmt.Sprintf("%s %.3g±%.3g", n, m.Mean[i], m.Std[i]))
	}
	t.Logf("centre ± scale: %s", strings.Join(scales, "; "))

	var trace io.Writer = io.Discard
	if p := os.Getenv("TRUSTAGENT_MEASURE_TRACE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		trace = f
	}
	var report strings.Builder
	fmt.Fprintf(&report, "\n| load | left OK | after (s) | worst level | peak score | first reason | most named while the load ran | back to OK after the load (s) |\n|---|---|---|---|---|---|---|---|\n")
	row := func(name string, o stressOutcome) {
		after, back := "-", "no (within 180 s)"
		if o.left {
			after = fmt.Sprintf("%.0f", o.after.Seconds())
		}
		if o.recovered >= 0 {
			back = fmt.Sprintf("%.0f", o.recovered.Seconds())
		}
		fmt.Fprintf(&report, "| %s | %v | %s | %v | %.3g | %s | %s | %s |\n", name, o.left, after, o.worst, o.peak, o.first, o.top(), back)
	}
	row("idle (60 s, no load)", observe(t, a, nil, 60*time.Second, trace))
	loads := []struct {
		name string
		args []string
	}{
		{"cpu: 2 busy loops, 60 s", []string{"cpu", "60s"}},
		{"mem: 2 GB at 50 MB/s, held 20 s", []string{"mem", "2048", "50", "20s"}},
		{"disk: 2 GB at 50 MB/s in the state file system, held 20 s", []string{"disk", "2048", "50", "20s", state}},
	}
	for _, ld := range loads {
		waitHostOK(t, a)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHostStressHog$")
		cmd.Env = append(os.Environ(), "TRUSTAGENT_HOG="+strings.Join(ld.args, ","))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		fmt.Fprintf(trace, "# %s\n", ld.name)
		row(ld.name, observe(t, a, cmd, 0, trace))
	}
	t.Log(report.String())
	if out := os.Getenv("TRUSTAGENT_MEASURE_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

type stressOutcome struct {
	left      bool
	after     time.Duration // from the start of the load to the first level above OK
	worst     level.Level
	peak      float64        // highest host score while the load ran
	first     string         // feature of the first reason when the host left OK
	named     map[string]int // samples above OK while the load ran, by the first reason's feature
	recovered time.Duration  // from the end of the load to OK again; -1 if not within 180 s
}

// top is the feature most often named first while the load ran.
func (o stressOutcome) top() string {
	best, n := "", 0
	for f, c := range o.named {
		if c > n || (c == n && f < best) {
			best, n = f, c
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("%s (%d samples)", best, n)
}

// observe samples the agent's host status every second while cmd runs (or
// for d when cmd is nil), then until the host is OK again.
func observe(t *testing.T, a *Agent, cmd *exec.Cmd, d time.Duration, trace io.Writer) stressOutcome {
	t.Helper()
	o := stressOutcome{recovered: -1, named: map[string]int{}}
	start := time.Now()
	exited := make(chan error, 1)
	if cmd != nil {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { exited <- cmd.Wait() }()
	} else {
		go func() { time.Sleep(d); exited <- nil }()
	}
	loading := true
	watch := func() level.Level {
		h := a.Status().Host
		var rs []string
		for _, r := range h.Reasons {
			rs = append(rs, fmt.Sprintf("%s=%.3g", r.Feature, r.Value))
		}
		var fs []string
		for _, n := range []string{"cpu_busy_max", "load1_per_core", "mem_used_frac", "mem_avail_mb_per_min", "state_free_pct_per_min"} {
			fs = append(fs, fmt.Sprintf("%s=%.3g", n, h.Features[n]))
		}
		fmt.Fprintf(trace, "%5.0f %v %-5v score %.3g [%s] %s\n", time.Since(start).Seconds(), loading, h.Level, h.Score, strings.Join(fs, " "), strings.Join(rs, " "))
		if loading {
			o.peak = max(o.peak, h.Score)
		}
		if h.Level > level.OK && h.Level != level.Stale {
			if !o.left && len(h.Reasons) > 0 {
				o.left, o.after, o.first = true, time.Since(start), h.Reasons[0].Feature
			}
			o.worst = max(o.worst, h.Level)
			if loading && len(h.Reasons) > 0 {
				o.named[h.Reasons[0].Feature]++
			}
		}
		return h.Level
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for running := true; running; {
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("load: %v", err)
			}
			running, loading = false, false
		case <-tick.C:
			watch()
		}
	}
	end := time.Now()
	for time.Since(end) < 180*time.Second {
		if watch() == level.OK {
			o.recovered = time.Since(end)
			break
		}
		<-tick.C
	}
	return o
}

// waitHostOK waits up to 3 minutes for the host to be OK before the next load.
func waitHostOK(t *testing.T, a *Agent) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if a.Status().Host.Level == level.OK {
			return
		}
	}
	t.Logf("host still %v before the next load", a.Status().Host.Level)
}

// TestHostStressHog is the load TestHostUnderStress runs in a child
// process (TRUSTAGENT_HOG=cpu,DUR | mem,MB,MBPS,HOLD | disk,MB,MBPS,HOLD,DIR).
func TestHostStressHog(t *testing.T) {
	spec := os.Getenv("TRUSTAGENT_HOG")
	if spec == "" {
		t.Skip("run by TestHostUnderStress")
	}
	f := strings.Split(spec, ",")
	num := func(i int) int { n, _ := strconv.Atoi(f[i]); return n }
	dur := func(i int) time.Duration { d, _ := time.ParseDuration(f[i]); return d }
	switch f[0] {
	case "cpu":
		stop := time.Now().Add(dur(1))
		done := make(chan struct{})
		for range 2 {
			go func() {
				x := 0
				for time.Now().Before(stop) {
					for i := range 1 << 16 {
						x += i
					}
				}
				_ = x
				done <- struct{}{}
			}()
		}
		<-done
		<-done
	case "mem":
		total, rate := num(1)<<20, num(2)<<20
		var held [][]byte
		for taken := 0; taken < total; taken += rate / 10 {
			b := make([]byte, rate/10)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			held = append(held, b)
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(dur(3))
		runtime.KeepAlive(held)
	case "disk":
		total, rate := num(1)<<20, num(2)<<20
		dir, err := os.MkdirTemp(f[4], "hog-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		fh, err := os.Create(filepath.Join(dir, "fill"))
		if err != nil {
			t.Fatal(err)
		}
		chunk := make([]byte, rate/10)
		for i := range chunk {
			chunk[i] = byte(i)
		}
		for written := 0; written < total; written += len(chunk) {
			if _, err := fh.Write(chunk); err != nil {
				t.Fatal(err)
			}
			fh.Sync()
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(dur(3))
		fh.Close()
	default:
		t.Fatalf("unknown load %q", spec)
	}
}
