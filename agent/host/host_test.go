package host

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

func write(t *testing.T, root, p, content string) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFakePi(t *testing.T) {
	root := t.TempDir()
	write(t, root, "sys/class/thermal/thermal_zone0/temp", "61234\n")
	write(t, root, "sys/class/thermal/thermal_zone1/temp", "48000\n")
	write(t, root, "sys/devices/platform/soc/soc:firmware/get_throttled", "0x50004\n")
	write(t, root, "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "600000\n")
	write(t, root, "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "1500000\n")
	write(t, root, "proc/loadavg", "3.00 1.00 0.50 2/100 1234\n")
	write(t, root, "proc/meminfo", "MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable:  250 kB\n")
	write(t, root, "proc/self/statm", "1000 256 10 1 0 100 0\n")
	stat := func(busy0, idle0, busy1, idle1 int) string {
		return "cpu  1 2 3 4 5 6 7 8\n" +
			"cpu0 " + itoa(busy0) + " 0 0 " + itoa(idle0) + " 0 0 0 0\n" +
			"cpu1 " + itoa(busy1) + " 0 0 " + itoa(idle1) + " 0 0 0 0\nintr 5\n"
	}
	write(t, root, "proc/stat", stat(100, 100, 100, 100))
	var bus uint64 = 5
	c := New(Options{Root: root, StateDir: root, BusErrors: func() uint64 { return bus }})
	t0 := time.Unix(1000, 0)
	s := c.Sample(t0)
	if s.CPUTempC != 61.234 || !s.Throttled || s.FreqRatio != 0.4 || s.Cores != 2 || s.Load1 != 3 || s.MemUsedFrac != 0.75 {
		t.Errorf("first sample %+v", s)
	}
	if s.RSSBytes != 256*uint64(os.Getpagesize()) || s.CPUBusy != nil || !math.IsNaN(s.BusErrorsPerS) {
		t.Errorf("first sample rss/busy/bus %+v", s)
	}
	if !(s.StateFreeFrac > 0 && s.StateFreeFrac <= 1) || s.StateFreeBytes == 0 {
		t.Errorf("state free %v %v", s.StateFreeFrac, s.StateFreeBytes)
	}
	write(t, root, "proc/stat", stat(190, 110, 125, 175))
	bus = 9
	s = c.Sample(t0.Add(2 * time.Second))
	if len(s.CPUBusy) != 2 || s.CPUBusy[0] != 0.9 || s.CPUBusy[1] != 0.25 || s.BusErrorsPerS != 2 {
		t.Errorf("second sample busy %v bus %v", s.CPUBusy, s.BusErrorsPerS)
	}
	f := s.Features(nil)
	if len(f) != len(Names()) || f[1] != 1 || f[3] != 0.9 || f[4] != 0.575 || f[5] != 1.5 || f[9] != 2 {
		t.Errorf("features %v", f)
	}
}

func itoa(v int) string { return strconv.Itoa(v) }

func TestMissingFilesAreNaN(t *testing.T) {
	c := New(Options{Root: t.TempDir(), StateDir: "/nonexistent/dir"})
	s := c.Sample(time.Unix(1, 0))
	f := s.Features(nil)
	for _, i := range []int{0, 2, 3, 4, 6, 10} {
		if !math.IsNaN(f[i]) {
			t.Errorf("feature %s = %v, want NaN", names[i], f[i])
		}
	}
	if s.Throttled || s.Cores < 1 || f[9] != 0 {
		t.Errorf("sample %+v", s)
	}
}

func TestRealMachine(t *testing.T) {
	c := New(Options{StateDir: os.TempDir()})
	c.Sample(time.Now())
	time.Sleep(20 * time.Millisecond)
	s := c.Sample(time.Now())
	if s.RSSBytes == 0 || s.Cores < 1 {
		t.Errorf("real sample %+v", s)
	}
	t.Logf("this machine: %+v", s)
}

func TestSetBusErrorsIfUnset(t *testing.T) {
	c := New(Options{Root: t.TempDir()})
	c.SetBusErrorsIfUnset(func() uint64 { return 7 })
	if s := c.Sample(time.Unix(1, 0)); s.BusErrors != 7 {
		t.Errorf("bus errors %d", s.BusErrors)
	}
	c = New(Options{Root: t.TempDir(), BusErrors: func() uint64 { return 1 }})
	c.SetBusErrorsIfUnset(func() uint64 { return 7 })
	if s := c.Sample(time.Unix(1, 0)); s.BusErrors != 1 {
		t.Errorf("configured counter replaced: %d", s.BusErrors)
	}
}

func TestUnderVoltageAndFlags(t *testing.T) {
	root := t.TempDir()
	write(t, root, "sys/devices/platform/soc/soc:firmware/get_throttled", "0x50001\n")
	s := New(Options{Root: root}).Sample(time.Unix(1, 0))
	if !s.UnderVoltage || s.Throttled || s.Flagged() != FlagUnderVoltage {
		t.Errorf("0x50001: under-voltage %v throttled %v flag %q", s.UnderVoltage, s.Throttled, s.Flagged())
	}
	if i := slices.Index(Names(), "under_voltage"); s.Features(nil)[i] != 1 {
		t.Errorf("features %v", s.Features(nil))
	}
	if (Sample{Throttled: true}).Flagged() != FlagThrottled || (Sample{}).Flagged() != FlagNone {
		t.Error("flags")
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		name string
		v    float64
		want string
	}{
		{"cpu_temp_c", 81.24, "CPU temperature 81.2 °C"},
		{"mem_used_frac", 0.934, "memory used 93 %"},
		{"rss_mb", 412.6, "agent memory 413 MB"},
		{"throttled", 1, "throttled yes"},
		{"state_free_frac", 0.021, "state disk free 2.1 %"},
		{"load1_per_core", 2.5, "load per core 2.50"},
		{"cpu_temp_c", math.NaN(), "CPU temperature unknown"},
		{"other", 2, "other=2"},
	} {
		if got := Describe(c.name, c.v); got != c.want {
			t.Errorf("Describe(%s, %v) = %q, want %q", c.name, c.v, got, c.want)
		}
	}
	if got := Explain("cpu_temp_c", 81.24, 55); got != "CPU temperature 81.2 °C (normal 55.0 °C)" {
		t.Errorf("Explain: %q", got)
	}
	for _, n := range Names() {
		if _, ok := units[n]; !ok {
			t.Errorf("feature %s has no unit", n)
		}
	}
}

// TestClockStepAndAvailableMemory reads a fake /proc/meminfo and an
// injected pair of clocks: the wall clock set back 3 s between two
// samples shows as a step of −3 s for TrendSpan of samples, and memory
// taken at 10 MiB a second as an available memory rate of −10 MiB/s.
func TestClockStepAndAvailableMemory(t *testing.T) {
	root := t.TempDir()
	var wall time.Time
	var mono time.Duration
	c := New(Options{Root: root, Clock: func() (time.Time, time.Duration) { return wall, mono }})
	t0 := time.Unix(5000, 0)
	var steps []float64
	for i := range 12 {
		wall, mono = t0.Add(time.Duration(i)*time.Second), time.Hour+time.Duration(i)*time.Second
		if i >= 4 {
			wall = wall.Add(-3 * time.Second) // the clock is set back before sample 4
		}
		write(t, root, "proc/meminfo", "MemTotal: 4194304 kB\nMemAvailable: "+itoa(2097152-10240*i)+" kB\n")
		s := c.Sample(t0.Add(time.Duration(i) * time.Second))
		if s.MemAvailBytes != uint64(2097152-10240*i)<<10 {
			t.Fatalf("sample %d: available %d bytes", i, s.MemAvailBytes)
		}
		if i > 0 && math.Abs(s.MemAvailRate+10) > 1e-9 {
			t.Errorf("sample %d: available memory rate %v MiB/s, want −10", i, s.MemAvailRate)
		}
		f := s.Features(nil)
		if got := f[slices.Index(Names(), "clock_step_s")]; i == 0 && !math.IsNaN(got) {
			t.Errorf("first sample: clock step %v, want NaN", got)
		} else if i > 0 {
			steps = append(steps, got)
		}
		if got := f[slices.Index(Names(), "mem_avail_mb_per_min")]; i > 0 && got != 60*s.MemAvailRate {
			t.Errorf("sample %d: feature %v, rate %v", i, got, s.MemAvailRate)
		}
	}
	// Samples 1–3 see no step; 4–8 have sample 3 in their span (TrendSpan
	// back, inclusive); 9–11 are past it.
	want := []float64{0, 0, 0, -3, -3, -3, -3, -3, 0, 0, 0}
	for i := range want {
		if math.Abs(steps[i]-want[i]) > 1e-9 {
			t.Errorf("clock steps %v, want %v", steps, want)
			break
		}
	}
}

func TestSystemClocksStepNothing(t *testing.T) {
	c := New(Options{Root: t.TempDir()})
	c.Sample(time.Now())
	time.Sleep(20 * time.Millisecond)
	s := c.Sample(time.Now())
	if s.Wall.IsZero() || s.Mono <= 0 || math.IsNaN(s.ClockStep) || math.Abs(s.ClockStep) > 0.005 {
		t.Errorf("this machine's clocks: wall %v, mono %v, step %v s", s.Wall, s.Mono, s.ClockStep)
	}
}
