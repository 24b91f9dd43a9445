// Command benchsum runs the project's benchmarks (`make bench`) and prints
// them as one table: package, benchmark, time per op, allocations, and any
// custom metrics a benchmark reports (points/s, MACs, ×realtime, …).
//
// Usage:
//
//	go run ./internal/benchsum [-benchtime 1s] [-bench REGEXP] [packages]
package main
