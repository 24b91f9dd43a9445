package agent

import (
	"hash/maphash"
	"math"
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"github.com/sensortrust/trustagent/sensors"
)

// frameHash spots byte-identical repeats of a frame's payload: an image's
// pixel bytes, a scan's X, Y, Z and Intensity of every point in order, a
// range reading's distance and strength. An exact repeat always hashes
// alike; a different frame hashes alike with probability about 2^-64.
type frameHash struct {
	seed  maphash.Seed // images and ranges
	seed2 uint64       // scans
	prev  uint64
	have  bool
}

func newFrameHash() frameHash {
	return frameHash{seed: maphash.MakeSeed(), seed2: rand.Uint64()}
}

// repeats hashes f and reports whether it repeats the previous frame.
func (fh *frameHash) repeats(f sensors.Frame) bool { return fh.repeatsSum(fh.sum(f)) }

// repeatsSum reports whether a frame whose payload hashes to sum repeats
// the previous frame, and keeps sum for the next. A camera frame's sum may
// come from elsewhere (the torn-frame check's digest of its rows), as long
// as every frame of the stream is hashed the same way.
func (fh *frameHash) repeatsSum(sum uint64) bool {
	same := fh.have && sum == fh.prev
	fh.prev, fh.have = sum, true
	return same
}

// sum hashes f's payload.
func (fh *frameHash) sum(f sensors.Frame) uint64 {
	var sum uint64
	switch fr := f.(type) {
	case *sensors.Image:
		sum = maphash.Bytes(fh.seed, fr.Pix)
	case *sensors.Scan:
		sum = scanHash(fr.Points, fh.seed2)
	case *sensors.Range:
		var buf [8]byte
		put32(buf[0:], math.Float32bits(fr.Distance))
		put32(buf[4:], math.Float32bits(fr.Strength))
		sum = maphash.Bytes(fh.seed, buf[:])
	}
	return sum
}

func (fh *frameHash) forget() { fh.have = false }

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// The primes of XXH64.
const (
	xxPrime1 uint64 = 11400714785074694791
	xxPrime2 uint64 = 14029467366897019727
	xxPrime3 uint64 = 1609587929392839161
	xxPrime4 uint64 = 9650029242287828579
	xxPrime5 uint64 = 2870177450012600261
)

// scanHash returns the XXH64 hash, with the given seed, of the 16 bytes
// per point of X, Y, Z and Intensity in little-endian order
// (TestScanHashIsXXH64 checks it against a library's XXH64 of those
// bytes). It reads the points where they are: a 32-byte stripe of XXH64
// is two points, its four 64-bit lanes their X|Y and Z|I words.
func scanHash(pts []sensors.Point, seed uint64) uint64 {
	n := uint64(16 * len(pts))
	var h uint64
	if len(pts) >= 2 {
		v1 := seed + xxPrime1 + xxPrime2
		v2 := seed + xxPrime2
		v3 := seed
		v4 := seed - xxPrime1
		// xxRound of the four words, written out: the compiler leaves a
		// marker instruction for every inlined call. The points are
		// addressed by byte offset from the first, inside the whole
		// stripes: neither a bounds check nor a shrinking slice's three
		// words per stripe.
		const size = unsafe.Sizeof(sensors.Point{})
		base := unsafe.Pointer(unsafe.SliceData(pts))
		stripes := len(pts) &^ 1
		for off, end := uintptr(0), uintptr(stripes)*size; off < end; off += 2 * size {
			p := (*[2]uint64)(unsafe.Add(base, off)) // the words of xyWord and ziWord
			q := (*[2]uint64)(unsafe.Add(base, off+size))
			v1 = bits.RotateLeft64(v1+p[0]*xxPrime2, 31) * xxPrime1
			v2 = bits.RotateLeft64(v2+p[1]*xxPrime2, 31) * xxPrime1
			v3 = bits.RotateLeft64(v3+q[0]*xxPrime2, 31) * xxPrime1
			v4 = bits.RotateLeft64(v4+q[1]*xxPrime2, 31) * xxPrime1
		}
		pts = pts[stripes:]
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = xxMerge(h, v1)
		h = xxMerge(h, v2)
		h = xxMerge(h, v3)
		h = xxMerge(h, v4)
	} else {
		h = seed + xxPrime5
	}
	h += n
	for i := range pts { // the last point of an odd count
		for _, w := range [2]uint64{xyWord(&pts[i]), ziWord(&pts[i])} {
			h ^= xxRound(0, w)
			h = bits.RotateLeft64(h, 27)*xxPrime1 + xxPrime4
		}
	}
	h ^= h >> 33
	h *= xxPrime2
	h ^= h >> 29
	h *= xxPrime3
	h ^= h >> 32
	return h
}

// xyWord is uint64(Float32bits(p.X)) | uint64(Float32bits(p.Y))<<32 and
// ziWord the same of Z and Intensity: on a little-endian machine (every
// GOARCH this is built for) the first and second eight bytes of the point,
// loaded as one word each instead of as four floats moved into integer
// registers. TestScanHashIsXXH64 checks the field layout and the words.
func xyWord(p *sensors.Point) uint64 { return (*[2]uint64)(unsafe.Pointer(p))[0] }

func ziWord(p *sensors.Point) uint64 { return (*[2]uint64)(unsafe.Pointer(p))[1] }

func xxRound(acc, input uint64) uint64 {
	acc += input * xxPrime2
	acc = bits.RotateLeft64(acc, 31)
	return acc * xxPrime1
}

func xxMerge(acc, val uint64) uint64 {
	acc ^= xxRound(0, val)
	return acc*xxPrime1 + xxPrime4
}
