package host

import (
	"fmt"
	"math"
)

// units says how to show each feature to an operator: a label, a factor
// from the feature's own unit, the shown unit and its precision.
var units = map[string]struct {
	label  string
	factor float64
	unit   string
	prec   int
	// resolution is the smallest change of the feature that matters, in
	// its own unit: the host model's smallest scale for it.
	resolution float64
}{
	"cpu_temp_c":       {"CPU temperature", 1, "°C", 1, 1},
	"throttled":        {"throttled", 1, "", 0, 0},
	"freq_ratio":       {"CPU clock", 100, "% of max", 0, 0.02},
	"cpu_busy_max":     {"busiest core", 100, "% busy", 0, 0.02},
	"cpu_busy_mean":    {"cores", 100, "% busy", 0, 0.02},
	"load1_per_core":   {"load per core", 1, "", 2, 0.05},
	"mem_used_frac":    {"memory used", 100, "%", 0, 0.01},
	"rss_mb":           {"agent memory", 1, "MB", 0, 2},
	"gc_pause_p99_ms":  {"GC pause p99", 1, "ms", 1, 0.1},
	"bus_errors_per_s": {"bus errors", 1, "/s", 1, 0},
	"state_free_frac":  {"state disk free", 100, "%", 1, 0.02},
	"under_voltage":    {"under-voltage", 1, "", 0, 0},
	// Rates: the temperature moves a few hundredths of a degree a second
	// with the load, memory by a fraction of a MB a second with the garbage
	// collector, and a state disk fills by logs at well under 0.05 % of
	// its size a minute.
	"cpu_temp_c_per_s":       {"CPU temperature change", 60, "°C/min", 1, 0.05},
	"rss_mb_per_s":           {"agent memory change", 1, "MB/s", 1, 0.5},
	"state_free_pct_per_min": {"state disk free change", 1, "%/min", 2, 0.05},
	// Available memory moves by a few MB a second with caches and
	// allocations (a resolution of 2 MB/s); the wall clock drifts from the monotonic one only by
	// the NTP slew, half a millisecond a second at most, so a step of a
	// hundredth of a second is already a set clock.
	"mem_avail_mb_per_min": {"available memory change", 1, "MB/min", 0, 120},
	"clock_step_s":         {"wall clock step", 1, "s", 2, 0.01},
	// The temperature's departure from its last ten minutes, the
	// sensor's noise averaged down to about a tenth of a degree.
	"cpu_temp_dev_c": {"CPU temperature above its recent mean", 1, "°C", 1, 0.1},
}

// Resolutions returns, per feature in Names order, the smallest change
// that matters (0 for the flags and counters, where any change does): the
// host model's smallest scale per feature.
func Resolutions() []float64 {
	out := make([]float64, len(names))
	for i, n := range names {
		out[i] = units[n].resolution
	}
	return out
}

// Describe returns a host feature's value as an operator reads it, in
// units: "CPU temperature 81.2 °C", "memory used 93 %", "throttled yes".
// Unknown names are shown as name=value.
func Describe(feature string, v float64) string {
	u, ok := units[feature]
	switch {
	case !ok:
		return fmt.Sprintf("%s=%.3g", feature, v)
	case math.IsNaN(v):
		return u.label + " unknown"
	case u.unit == "" && u.prec == 0:
		if v != 0 {
			return u.label + " yes"
		}
		return u.label + " no"
	case u.unit == "":
		return fmt.Sprintf("%s %.*f", u.label, u.prec, v*u.factor)
	}
	return fmt.Sprintf("%s %.*f %s", u.label, u.prec, v*u.factor, u.unit)
}

// Explain describes a host feature's value beside its normal value (the
// model's centre for it): "CPU temperature 81.2 °C (normal 55.0 °C)".
func Explain(feature string, v, normal float64) string {
	if u, ok := units[feature]; ok && u.unit == "" && u.prec == 0 {
		return Describe(feature, v)
	}
	return fmt.Sprintf("%s (normal %s)", Describe(feature, v), trimLabel(feature, normal))
}

func trimLabel(feature string, v float64) string {
	s := Describe(feature, v)
	if u, ok := units[feature]; ok {
		return s[len(u.label)+1:]
	}
	return s
}
