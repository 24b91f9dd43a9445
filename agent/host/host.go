package host

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var names = []string{
	"cpu_temp_c", "throttled", "freq_ratio", "cpu_busy_max", "cpu_busy_mean", "load1_per_core",
	"mem_used_frac", "rss_mb", "gc_pause_p99_ms", "bus_errors_per_s", "state_free_frac",
	"under_voltage", "cpu_temp_c_per_s", "rss_mb_per_s", "state_free_pct_per_min", "mem_avail_mb_per_min",
	"clock_step_s", "cpu_temp_dev_c",
}

// Names returns the host feature names, in vector order.
func Names() []string { return slices.Clone(names) }

// Options configure a Collector.
type Options struct {
	// Root is prefixed to /proc and /sys paths (tests use a fake tree);
	// default "/".
	Root string
	// StateDir is the directory whose file system's free space is sampled;
	// empty skips it.
	StateDir string
	// BusErrors returns the sum of the sources' bus error counters; nil
	// means none.
	BusErrors func() uint64
	// Clock reads the wall clock and a monotonic clock that counts
	// suspend (the clock step feature); nil reads CLOCK_REALTIME and
	// CLOCK_BOOTTIME.
	Clock func() (wall time.Time, mono time.Duration)
}

// Sample is one reading of the host. Unknown values are NaN (floats) or 0.
type Sample struct {
	Time           time.Time
	CPUTempC       float64
	Throttled      bool
	UnderVoltage   bool // the supply is below its minimum now (Pi get_throttled bit 0)
	FreqRatio      float64
	CPUBusy        []float64 // per core, 0..1; nil on the first sample
	Load1          float64
	Cores          int
	MemUsedFrac    float64
	MemAvailBytes  uint64 // MemAvailable; 0 when unknown
	RSSBytes       uint64
	GCPauseP99     time.Duration
	BusErrors      uint64  // counter value
	BusErrorsPerS  float64 // growth rate since the previous sample
	StateFreeBytes uint64
	StateFreeFrac  float64
	// Rates of change over the last TrendSpan (see Trend), NaN while
	// unknown: °C/s, MiB/s, and fraction of the disk per second (negative
	// while the disk fills).
	CPUTempRate, RSSRate, StateFreeRate float64
	// MemAvailRate is the rate of change of MemAvailBytes over the last
	// MemTrendSpan, MiB/s (negative while memory fills), NaN while unknown.
	MemAvailRate float64
	// Wall and Mono are the wall clock and the monotonic clock read with
	// the sample (zero when not read); ClockStep is how much further the
	// wall clock went than the monotonic one over the last TrendSpan,
	// seconds (Trend), NaN while unknown.
	Wall      time.Time
	Mono      time.Duration
	ClockStep float64
	// CPUTempDev is the temperature's mean over the last TempFastSpan
	// less its mean over the last TempBaseSpan (exponential means, Trend),
	// °C: a rise of the temperature out of its recent normal, the
	// sensor's noise averaged down and the day's swing taken out.
	CPUTempDev float64
}

// Collector samples the host. Not safe for concurrent use.
type Collector struct {
	opts       Options
	prevCPU    [][2]uint64 // per core: busy, total jiffies
	prevTime   time.Time
	prevBus    uint64
	prevThrot  uint64
	gcSample   []metrics.Sample
	prevGC     []uint64
	havePrevGC bool
	trend      Trend
}

// New returns a Collector.
func New(opts Options) *Collector {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.Clock == nil {
		opts.Clock = systemClocks
	}
	return &Collector{opts: opts, gcSample: []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}}
}

// SetBusErrorsIfUnset installs fn as the bus error counter when Options
// gave none (the agent passes the sum over its sources). Call it before the
// first Sample; it is not synchronised with Sample.
func (c *Collector) SetBusErrorsIfUnset(fn func() uint64) {
	if c.opts.BusErrors == nil {
		c.opts.BusErrors = fn
	}
}

func (c *Collector) path(p string) string { return filepath.Join(c.opts.Root, p) }

// Sample reads the host now. Rates and busy fractions are over the time
// since the previous Sample.
func (c *Collector) Sample(now time.Time) Sample {
	s := Sample{Time: now, CPUTempC: math.NaN(), FreqRatio: math.NaN(), Load1: math.NaN(),
		MemUsedFrac: math.NaN(), StateFreeFrac: math.NaN(), BusErrorsPerS: math.NaN()}
	c.thermal(&s)
	c.cpu(&s)
	c.mem(&s)
	c.gc(&s)
	s.Wall, s.Mono = c.opts.Clock()
	dt := now.Sub(c.prevTime).Seconds()
	if c.opts.BusErrors != nil {
		s.BusErrors = c.opts.BusErrors()
		if !c.prevTime.IsZero() && dt > 0 && s.BusErrors >= c.prevBus {
			s.BusErrorsPerS = float64(s.BusErrors-c.prevBus) / dt
		}
		c.prevBus = s.BusErrors
	} else {
		s.BusErrorsPerS = 0
	}
	if c.opts.StateDir != "" {
		var st unix.Statfs_t
		if err := unix.Statfs(c.opts.StateDir, &st); err == nil && st.Blocks > 0 {
			s.StateFreeBytes = uint64(st.Bavail) * uint64(st.Bsize)
			s.StateFreeFrac = float64(st.Bavail) / float64(st.Blocks)
		}
	}
	c.prevTime = now
	c.trend.Fill(&s)
	return s
}

// systemClocks reads CLOCK_REALTIME and CLOCK_BOOTTIME back to back.
// BOOTTIME keeps counting while the machine is suspended, so a resume is
// no clock step; zero readings when a clock cannot be read.
func systemClocks() (time.Time, time.Duration) {
	var w, m unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME, &w) != nil || unix.ClockGettime(unix.CLOCK_BOOTTIME, &m) != nil {
		return time.Time{}, 0
	}
	return time.Unix(w.Unix()), time.Duration(m.Nano())
}

func readFile(p string) ([]byte, bool) {
	b, err := os.ReadFile(p)
	return b, err == nil
}

func readInt(p string) (int64, bool) {
	b, ok := readFile(p)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 0, 64)
	return v, err == nil
}

func (c *Collector) thermal(s *Sample) {
	zones, _ := filepath.Glob(c.path("sys/class/thermal/thermal_zone*/temp"))
	for _, z := range zones {
		if v, ok := readInt(z); ok {
			t := float64(v) / 1000 // millidegrees
			if math.IsNaN(s.CPUTempC) || t > s.CPUTempC {
				s.CPUTempC = t
			}
		}
	}
	if v, ok := readInt(c.path("sys/devices/platform/soc/soc:firmware/get_throttled")); ok {
		s.Throttled = v&0xe != 0
		s.UnderVoltage = v&0x1 != 0
	}
	counts, _ := filepath.Glob(c.path("sys/devices/system/cpu/cpu[0-9]*/thermal_throttle/core_throttle_count"))
	var total uint64
	for _, p := range counts {
		if v, ok := readInt(p); ok && v > 0 {
			total += uint64(v)
		}
	}
	if len(counts) > 0 {
		if !c.prevTime.IsZero() && total > c.prevThrot {
			s.Throttled = true
		}
		c.prevThrot = total
	}
	curs, _ := filepath.Glob(c.path("sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_cur_freq"))
	var sum float64
	n := 0
	for _, p := range curs {
		cur, ok1 := readInt(p)
		mx, ok2 := readInt(filepath.Join(filepath.Dir(p), "cpuinfo_max_freq"))
		if ok1 && ok2 && mx > 0 {
			sum += float64(cur) / float64(mx)
			n++
		}
	}
	if n > 0 {
		s.FreqRatio = sum / float64(n)
	}
}

func (c *Collector) cpu(s *Sample) {
	if b, ok := readFile(c.path("proc/loadavg")); ok {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				s.Load1 = v
			}
		}
	}
	b, ok := readFile(c.path("proc/stat"))
	if !ok {
		s.Cores = runtime.NumCPU()
		return
	}
	var cur [][2]uint64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var total, idle uint64
		for i, x := range f[1:] {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				break
			}
			total += v
			if i == 3 || i == 4 { // idle, iowait
				idle += v
			}
		}
		cur = append(cur, [2]uint64{total - idle, total})
	}
	s.Cores = len(cur)
	if s.Cores == 0 {
		s.Cores = runtime.NumCPU()
	}
	if len(c.prevCPU) == len(cur) {
		s.CPUBusy = make([]float64, len(cur))
		for i := range cur {
			db := float64(cur[i][0]) - float64(c.prevCPU[i][0])
			dt := float64(cur[i][1]) - float64(c.prevCPU[i][1])
			if dt > 0 {
				s.CPUBusy[i] = min(1, max(0, db/dt))
			}
		}
	}
	c.prevCPU = cur
}

func (c *Collector) mem(s *Sample) {
	if b, ok := readFile(c.path("proc/meminfo")); ok {
		var total, avail float64
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 {
				continue
			}
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				continue
			}
			switch f[0] {
			case "MemTotal:":
				total = v
			case "MemAvailable:":
				avail = v
			}
		}
		if total > 0 {
			s.MemUsedFrac = 1 - avail/total
			s.MemAvailBytes = uint64(avail) << 10 // kB
		}
	}
	if b, ok := readFile(c.path("proc/self/statm")); ok {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				s.RSSBytes = v * uint64(os.Getpagesize())
			}
		}
	}
}

// gc takes the 99th percentile of the GC pauses since the previous sample
// from the runtime's cumulative pause histogram.
func (c *Collector) gc(s *Sample) {
	metrics.Read(c.gcSample)
	if c.gcSample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return
	}
	h := c.gcSample[0].Value.Float64Histogram()
	if !c.havePrevGC || len(c.prevGC) != len(h.Counts) {
		c.prevGC = slices.Clone(h.Counts)
		c.havePrevGC = true
		return
	}
	var n uint64
	for i, v := range h.Counts {
		n += v - c.prevGC[i]
	}
	if n > 0 {
		want := uint64(math.Ceil(0.99 * float64(n)))
		var acc uint64
		for i, v := range h.Counts {
			acc += v - c.prevGC[i]
			if acc >= want {
				hi := h.Buckets[i+1]
				if math.IsInf(hi, 1) {
					hi = h.Buckets[i]
				}
				s.GCPauseP99 = time.Duration(hi * float64(time.Second))
				break
			}
		}
	}
	copy(c.prevGC, h.Counts)
}

// Features writes the host feature vector (Names order) into dst, resized.
func (s Sample) Features(dst []float64) []float64 {
	if cap(dst) < len(names) {
		dst = make([]float64, len(names))
	}
	dst = dst[:len(names)]
	busyMax, busyMean := math.NaN(), math.NaN()
	if len(s.CPUBusy) > 0 {
		busyMax, busyMean = 0, 0
		for _, b := range s.CPUBusy {
			busyMax = max(busyMax, b)
			busyMean += b
		}
		busyMean /= float64(len(s.CPUBusy))
	}
	throttled := 0.0
	if s.Throttled {
		throttled = 1
	}
	underVoltage := 0.0
	if s.UnderVoltage {
		underVoltage = 1
	}
	load := math.NaN()
	if s.Cores > 0 {
		load = s.Load1 / float64(s.Cores)
	}
	copy(dst, []float64{s.CPUTempC, throttled, s.FreqRatio, busyMax, busyMean, load, s.MemUsedFrac,
		float64(s.RSSBytes) / (1 << 20), float64(s.GCPauseP99) / float64(time.Millisecond), s.BusErrorsPerS, s.StateFreeFrac,
		underVoltage, s.CPUTempRate, s.RSSRate, s.StateFreeRate * 100 * 60, s.MemAvailRate * 60, s.ClockStep, s.CPUTempDev})
	return dst
}
