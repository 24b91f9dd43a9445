package likelihood

// The golden scores, regret-only and combined, and the statistics residuals
// were recorded on linux/amd64 with
// `go test -run TestGoldenIntegerScores ./likelihood/ -args -update-golden`
// (network, inputs and refit tables drawn by fixedpoint.Rand; exp and
// log-sum-exp by fixedpoint.ExpQ and LogSumExpQ).
var goldenScores = []int64{3861669, 3858570, 3858170, 3865086, 3860908, 3859830, 3894884, 3832443}
var goldenCombined = []int64{-171352, -172462, -174894, -157576, -128849, -150767, -10420, -36516}
var goldenResid = []int64{71612, 52645, 11076, 307050, 797989, 423406, 2821921, 2375941}
