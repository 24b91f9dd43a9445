package likelihood

// The golden scores, regret-only and combined, and the statistics residuals
// were recorded on linux/amd64 with
// `go test -run TestGoldenIntegerScores ./likelihood/ -args -update-golden`
// (network with int16 input-layer weights, int16 Q11 inputs and refit tables drawn by fixedpoint.Rand; exp and
// log-sum-exp by fixedpoint.ExpQ and LogSumExpQ).
var goldenScores = []int64{3861925, 3864020, 3875889, 3864862, 3872105, 3854138, 3879980, 3865938}
var goldenCombined = []int64{-172606, -167531, -174307, -169813, -145272, -118895, -10322, -36430}
var goldenResid = []int64{50174, 136918, 21116, 97910, 517308, 968103, 2823584, 2377415}

// The NLL after the re-fit and the three-part score were added with model
// format 4, on the same network and inputs (the values above did not move).
var goldenAfter = []int64{129364943, 139443957, 145208258, 157860353, 176581737, 201921390, 433591305, 502166480}
var goldenCombined3 = []int64{-172606, -167531, -174307, 3577333, 12097643, 23630001, 129065553, 160274878}
