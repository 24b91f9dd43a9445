// Package cputime measures the CPU time of the calling OS thread, so that
// benchmarks can report cost per operation that does not depend on how busy
// the machine is (wall-clock ns/op on a shared machine counts time spent
// waiting for a core).
package cputime
