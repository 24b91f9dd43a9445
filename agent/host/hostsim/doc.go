// Package hostsim simulates the host stage's source (host.Sampler): Machine,
// a synthetic 4-core robot computer with a healthy baseline and faults
// injected on a schedule (a stopped fan, a runaway process, a memory
// leak, a filling disk, bus error bursts, under-voltage, a slow heat-up).
// The host fault bench learns and judges it; trustd's host.source: sim
// runs it in the demo, so a host fault can be shown without harming the
// machine.
package hostsim
