package likelihood

// Integer arithmetic of the fixed-point score path. Everything in this file
// is integer-only (checked by TestScorePathIsIntegerOnly) and gives the same
// bits on every GOARCH.
//
// Values are Q12 (value·4096) in int64 unless a name says otherwise.

const (
	fracBits = 12
	one      = 1 << fracBits
)

// exp2Q30[i] = round(2^(i/64)·2^30) and log2Q30[i] = round(log2(1+i/64)·2^30),
// i = 0…64: lookup tables, read only. Linear interpolation between entries
// keeps the relative error of expQ12 below 2e-5 beyond output rounding and
// the absolute error of lnQ12 below 0.65 Q12 steps (1.6e-4), as measured by
// TestIntExpLog.
var exp2Q30 = [65]int64{1073741824, 1085434106, 1097253708, 1109202018, 1121280436, 1133490379, 1145833280, 1158310587, 1170923762, 1183674286, 1196563654, 1209593378, 1222764986, 1236080024, 1249540052, 1263146652, 1276901417, 1290805962, 1304861917, 1319070932, 1333434672, 1347954824, 1362633090, 1377471191, 1392470869, 1407633882, 1422962010, 1438457051, 1454120821, 1469955159, 1485961921, 1502142985, 1518500250, 1535035634, 1551751076, 1568648537, 1585730000, 1602997467, 1620452965, 1638098541, 1655936265, 1673968228, 1692196547, 1710623359, 1729250827, 1748081133, 1767116489, 1786359126, 1805811301, 1825475297, 1845353420, 1865448001, 1885761398, 1906295993, 1927054196, 1948038440, 1969251188, 1990694927, 2012372174, 2034285470, 2056437387, 2078830522, 2101467502, 2124350982, 2147483648}

var log2Q30 = [65]int64{0, 24017256, 47667823, 70962728, 93912511, 116527248, 138816582, 160789745, 182455581, 203822568, 224898839, 245692198, 266210141, 286459867, 306448299, 326182095, 345667660, 364911162, 383918542, 402695523, 421247625, 439580170, 457698295, 475606957, 493310944, 510814882, 528123241, 545240343, 562170370, 578917365, 595485245, 611877800, 628098702, 644151509, 660039669, 675766525, 691335320, 706749198, 722011213, 737124328, 752091421, 766915285, 781598637, 796144114, 810554283, 824831638, 838978604, 852997541, 866890747, 880660455, 894308843, 907838029, 921250079, 934547002, 947730758, 960803257, 973766362, 986621888, 999371606, 1012017244, 1024560487, 1037002979, 1049346328, 1061592099, 1073741824}

const (
	log2eQ30 = 1549082005 // log2(e)·2^30
	ln2Q30   = 744261118  // ln(2)·2^30
)

// expQ12 returns exp(x) for x in Q12, in Q12, saturating at 2^40 and
// flushing to 0 below exp(−24).
//
//	expQ12(x) ≈ round(exp(x/4096)·4096)
func expQ12(x int64) int64 {
	if x < -24*one {
		return 0
	}
	if x > 18*one {
		x = 18 * one
	}
	// y = x·log2(e) in Q30.
	y := x * log2eQ30 >> fracBits
	k := y >> 30 // floor
	f := y - k<<30
	i := f >> 24 // 64 segments
	t := f & (1<<24 - 1)
	m := exp2Q30[i] + ((exp2Q30[i+1]-exp2Q30[i])*t)>>24 // 2^(f) in Q30
	// result = m·2^k in Q12 = m >> (30−12−k).
	sh := 30 - fracBits - k
	if sh >= 63 {
		return 0
	}
	if sh <= 0 {
		return m << -sh
	}
	return (m + 1<<(sh-1)) >> sh
}

// lnQ12 returns ln(v/4096) in Q12 for v > 0 (v is a Q12 value); it returns
// −2^40 for v ≤ 0.
//
//	lnQ12(v) ≈ round(ln(v/4096)·4096)
func lnQ12(v int64) int64 {
	if v <= 0 {
		return -1 << 40
	}
	e := int64(bitLen64(uint64(v))) - 1 // v in [2^e, 2^(e+1))
	// mantissa in Q30, [1, 2)
	var m int64
	if e >= 30 {
		m = v >> (e - 30)
	} else {
		m = v << (30 - e)
	}
	f := m - 1<<30
	i := f >> 24
	t := f & (1<<24 - 1)
	l2 := log2Q30[i] + ((log2Q30[i+1]-log2Q30[i])*t)>>24 // log2(mantissa), Q30
	l2 += (e - fracBits) << 30
	// ln = log2·ln2, Q30·Q30 → Q12: split to keep inside int64.
	hi := l2 >> 15
	return (hi*ln2Q30 + 1<<32) >> 33
}

func bitLen64(x uint64) int {
	n := 0
	for x >= 1<<16 {
		x >>= 16
		n += 16
	}
	for x != 0 {
		x >>= 1
		n++
	}
	return n
}

// requant returns round(acc·m / 2^sh) for a multiplier m < 2^15 and a
// shift sh in [0, 62]; acc·m must fit in int64 (|acc| < 2^47).
func requant(acc int64, m int64, sh int) int64 {
	p := acc * m
	if sh == 0 {
		return p
	}
	return (p + 1<<(sh-1)) >> sh
}

// splitmix64 is a small counter-based generator (Steele et al. 2014), the
// same on every architecture.
type splitmix64 struct{ s uint64 }

func (r *splitmix64) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// gaussQ12 draws an approximately standard normal value in Q12 by the
// Irwin–Hall sum of 12 uniforms on [0, 1) minus 6 (variance 1, support ±6).
func (r *splitmix64) gaussQ12() int64 {
	var s int64
	for i := 0; i < 3; i++ {
		v := r.next()
		for j := 0; j < 4; j++ {
			s += int64(v & (one - 1))
			v >>= 16
		}
	}
	return s - 6*one
}

// sign returns ±1 with equal probability.
func (r *splitmix64) sign() int64 {
	if r.next()>>63 == 0 {
		return 1
	}
	return -1
}
