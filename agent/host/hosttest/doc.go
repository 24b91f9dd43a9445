// Package hosttest fakes the host stage's source (host.Sampler) for tests
// and the host fault bench: Machine, a synthetic robot computer with a
// healthy baseline and injected faults, and Playback, which replays
// recorded samples.
package hosttest
