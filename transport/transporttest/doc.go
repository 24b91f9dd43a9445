// Package transporttest provides fakes of the transport contracts for tests
// of the stages upstream: a Recorder that keeps every published message and
// a Sequencer that counts in memory.
package transporttest
