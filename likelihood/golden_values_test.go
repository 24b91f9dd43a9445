package likelihood

// The golden scores, regret-only and combined, and the statistics residuals
// were recorded on linux/amd64 with
// `go test -run TestGoldenIntegerScores -update-golden ./likelihood/`.
var goldenScores = []int64{100123363, 100169945, 99936200, 100137823, 100325012, 100244568, 100094308, 100167985}
var goldenCombined = []int64{920258, 958418, 766935, 932104, 1085449, 1019550, 896457, 956813}
var goldenResid = []int64{133526, 223510, 56636, 1002710, 804064, 501501, 2772279, 3116774}
