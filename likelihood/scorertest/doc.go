// Package scorertest is the conformance suite every likelihood.Scorer
// passes, in the manner of testing/slogtest: an implementation's test calls
// Run with a constructor and a few frames, and the suite checks the Scorer
// contract (kind, typed errors for wrong or malformed frames, no panic on odd
// frames, determinism across fresh scorers and Reset, finite scores, gross
// faults ranked above clean frames, and optionally zero allocations per
// Score).
package scorertest
