package fixedpoint

// Rand is a deterministic pseudo-random generator for the score path:
// xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom number
// generators", 2018), which uses only 32-bit shifts, rotations, xors and
// multiplications by 5 and 9, so it runs the same, and as fast, on 32-bit ARM
// as on amd64 and arm64. Period 2^128 − 1. The zero value is not usable;
// make one with NewRand. A Rand is not safe for concurrent use; give each
// scorer its own.
type Rand struct {
	s [4]uint32
}

// NewRand returns a generator whose state is filled from seed by SplitMix64
// (Steele, Lea, Flood 2014), so that nearby seeds give unrelated streams.
func NewRand(seed uint64) *Rand {
	r := &Rand{}
	r.Seed(seed)
	return r
}

// Seed resets r to the stream of seed, as NewRand does.
func (r *Rand) Seed(seed uint64) {
	for i := 0; i < 4; i += 2 {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		r.s[i], r.s[i+1] = uint32(z), uint32(z>>32)
	}
	if r.s == [4]uint32{} { // the one forbidden state
		r.s[0] = 1
	}
}

func rotl(x uint32, k uint) uint32 { return x<<k | x>>(32-k) }

// Uint32 returns the next 32 random bits.
func (r *Rand) Uint32() uint32 {
	s := &r.s
	out := rotl(s[1]*5, 7) * 9
	t := s[1] << 9
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 11)
	return out
}

// Intn returns a uniform integer in [0, n) for 0 < n ≤ 2^31−1 by Lemire's
// multiply-and-reject method (no division on the common path); n ≤ 0 gives 0.
func (r *Rand) Intn(n int32) int32 {
	if n <= 0 {
		return 0
	}
	un := uint64(n)
	m := uint64(r.Uint32()) * un
	if uint32(m) < uint32(n) {
		thresh := uint32(-n) % uint32(n)
		for uint32(m) < thresh {
			m = uint64(r.Uint32()) * un
		}
	}
	return int32(m >> 32)
}

// FillRademacher fills dst with ±1, using all 32 bits of each Uint32:
//
//	for i := range dst {
//		if i%32 == 0 { b = r.Uint32() }
//		dst[i] = 1 − 2·int8(b>>31); b <<= 1
//	}
func (r *Rand) FillRademacher(dst []int8) {
	var b uint32
	for i := range dst {
		if i&31 == 0 {
			b = r.Uint32()
		}
		dst[i] = 1 - 2*int8(b>>31)
		b <<= 1
	}
}

// Normal returns an approximately standard normal number in Q16.16: the
// Irwin–Hall sum of twelve 16-bit uniforms (both halves of six Uint32),
// centred. The twelve halves u_k are uniform on {0..65535}, so
//
//	z = Σ_k u_k − 12·32767.5
//
// has mean 0 and variance 12·(65536²−1)/12 ≈ 2^32: z / 2^16 has variance
// 1 − 2^-32. Its support is [−6, 6] and its excess kurtosis −0.1, so the
// tails beyond about 4σ are thinner than a Gaussian's; that is harmless for
// smoothing and importance-sampling noise, which the scorer clips anyway.
func (r *Rand) Normal() int32 {
	var s int32
	for k := 0; k < 6; k++ {
		v := r.Uint32()
		s += int32(v>>16) + int32(v&0xFFFF)
	}
	// 12·32767.5 = 393210: integral, so the centring is exact.
	return s - 393210
}
