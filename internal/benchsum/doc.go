// Command benchsum runs the project's benchmarks (`make bench`) and prints
// them as one table: package, benchmark, time per op, allocations, and any
// custom metrics a benchmark reports (points/s, MACs, ×realtime, …).
//
// Usage:
//
//	go run ./internal/benchsum [-benchtime 200ms] [-bench REGEXP] [-daemon=false] [packages]
//
// The daemon load benchmark (cmd/trustd BenchmarkDaemonLoad: the real
// trustd on a 10 Hz LiDAR and a 15 fps camera, CPU fraction of one core and
// peak RSS) runs once, after the others.
package main
