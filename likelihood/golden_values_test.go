package likelihood

// goldenScores were recorded on linux/amd64 with
// `go test -run TestGoldenIntegerScores -update-golden ./likelihood/`.
var goldenScores = []int64{100123363, 100169945, 99936200, 100137823, 100325012, 100244568, 100094308, 100167985}
