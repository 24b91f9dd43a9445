// Package hosttest fakes the host stage's source (host.Sampler) for tests:
// Playback replays recorded or hand-made samples. Package hostsim
// simulates a whole machine with faults.
package hosttest
