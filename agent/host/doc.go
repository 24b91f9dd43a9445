// Package host samples the health of the computer the agent runs on, for
// the host autoencoder (package health) and the <prefix>/health payload:
//
//	cpu_temp_c        hottest /sys/class/thermal/thermal_zone*/temp, °C
//	throttled         1 when the firmware reports throttling now (Raspberry Pi
//	                  get_throttled bits 1–3) or a core's thermal throttle
//	                  count grew since the previous sample (x86), else 0
//	freq_ratio        mean scaling_cur_freq / cpuinfo_max_freq over the cores
//	cpu_busy_max      busiest core's busy fraction since the previous sample
//	                  (/proc/stat; busy = 1 − (idle + iowait) / total)
//	cpu_busy_mean     mean busy fraction over the cores
//	load1_per_core    1-minute load average / cores (/proc/loadavg)
//	mem_used_frac     1 − MemAvailable / MemTotal (/proc/meminfo)
//	rss_mb            the agent's resident set (/proc/self/statm), MiB
//	gc_pause_p99_ms   99th percentile of the agent's GC stop-the-world
//	                  pauses since the previous sample (runtime/metrics)
//	bus_errors_per_s  growth of the sources' BusErrors counters per second
//	state_free_frac   free fraction of the state directory's file system
//	under_voltage     1 when the firmware reports under-voltage now (Raspberry
//	                  Pi get_throttled bit 0), else 0
//	cpu_temp_c_per_s  rate of change of cpu_temp_c, °C/s
//	rss_mb_per_s      rate of change of rss_mb, MiB/s
//	state_free_pct_per_min
//	                  rate of change of state_free_frac, % of the disk a
//	                  minute (negative while the disk fills)
//	mem_avail_mb_per_min
//	                  rate of change of MemAvailable (/proc/meminfo) over
//	                  the last MemTrendSpan, MiB a minute (negative while
//	                  memory fills, whoever fills it)
//	clock_step_s      how much further the wall clock (CLOCK_REALTIME) went
//	                  than the monotonic clock (CLOCK_BOOTTIME) over the
//	                  last TrendSpan, s: the clock was set or jumped
//	cpu_temp_dev_c    exponential mean of cpu_temp_c over TempFastSpan less
//	                  its mean over TempBaseSpan, °C: a slow rise out of the
//	                  recent normal, with the sensor's noise averaged down
//	                  and the day's swing taken out
//
// The rates are least-squares slopes over the samples of the last
// TrendSpan (Trend), the available memory's over the longer MemTrendSpan: a fault that moves a level (a stopped fan, a leak, a
// filling disk) shows in its rate within seconds, long before the level
// leaves its normal daily range. The clock step is taken over the same
// span, so one step of the wall clock shows in several samples in a row.
//
// Files that do not exist on a machine (no thermal zone, no cpufreq, not a
// Pi) give NaN for their feature, which the health model imputes with its
// training mean; nothing here fails because a file is missing.
package host
