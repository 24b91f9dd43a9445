// Package intcheck proves that code is integer-only, for the fixed-point
// score path that runs on robots without (or with slow) floating point.
//
// Check type-checks a package from source (go/ast, go/types; dependencies
// come from the compiler's export data found with `go list -export`) and walks
// the functions it is given, following every static call into the same
// package and into the packages listed in Config.Follow. It reports:
//
//   - any expression, variable or signature whose type is or contains a
//     float32, float64, complex64 or complex128 (this covers float
//     constants, conversions to float, and calls of functions that take or
//     return floats);
//   - any call into a package that is neither followed nor allowed (package
//     math is never allowed; math/bits is allowed by default);
//   - any dynamic call (function values, interface methods, ranging over a
//     function value, the yield of an iterator), which cannot be followed.
//
// SoftFloat complements Check at the machine level: it builds a probe
// program for GOARCH=arm GOARM=5, where the compiler lowers every float
// operation to a call of a runtime soft-float routine (runtime.fadd64,
// runtime.fmul64, ...), disassembles it with `go tool objdump`, and reports
// every soft-float routine reachable by direct calls from the root symbols.
// The walk does not enter package runtime: its own float use (GC pacing,
// panic printing) is not on the computation path of a kernel.
//
// Both need the go command; they are meant for tests.
package intcheck
