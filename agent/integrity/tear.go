package integrity

import (
	"bytes"
	"hash/maphash"
	"math/bits"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Torn-frame limits.
const (
	// TearDepth is how many received frames the check keeps row hashes
	// of, the current one included: a row may replay a row of any of the
	// TearDepth−1 frames before it. A buffer-handling bug hands back a
	// buffer of a small pool, a few frames old (the fault catalogue's
	// worst rolling_tear is 10 frames old); 16 covers that with room for
	// a pool of 15, and for frames a queue dropped before the judge, which
	// make a replayed row look younger, never older.
	TearDepth = 16
	// MinTearRows is the fewest contiguous rows come back from two or
	// more frames before that make a torn frame, for frames up to 128
	// rows high; taller frames need Height/TearRowsDiv. One or two rows
	// that repeat an older frame's are chance (a thin line of saturated
	// or dark pixels that happens to come back); a band of rows is a
	// buffer.
	MinTearRows = 4
	TearRowsDiv = 32
	// MinStillRows is the fewest contiguous replayed rows of any age,
	// rows that stood still for one frame right after they changed
	// included, that make a torn frame, for frames up to 192 rows high;
	// taller frames need Height/StillRowsDiv. A codec that skips every
	// block of a band of rows it coded in the frame before leaves such a
	// band too: in the real street video the project holds (vtest.avi at
	// 120 to 576 rows) none is longer than 7 rows, Height/17, while a
	// tear one frame old leaves nothing but such a band.
	MinStillRows = 12
	StillRowsDiv = 16
)

// RowReplay spots torn camera frames: a band of rows that is a
// byte-for-byte replay of the same rows of an older frame, spliced into a
// frame whose other rows are new. The zero value is ready; it keeps a
// 64-bit hash of each row's pixel bytes (Width·BytesPerPixel, not the
// stride's padding) for the last TearDepth frames, in buffers allocated
// again only when the image grows, and is not safe for concurrent use.
//
// Row y of frame t is replayed when it holds more than one byte value
// and the nearest older frame (age a in 1..TearDepth−1) whose row y hashes
// alike had just changed that row: h_t[y] = h_{t−a}[y], h_{t−a}[y] ≠
// h_{t−a−1}[y], and h_{t−b}[y] ≠ h_t[y] for 0 < b < a. A row that stands
// still is never replayed: its nearest equal copy is the frame before,
// which had not changed it. A replayed row of age 2 or more has come back:
// it changed after t−a and returns now. One of age 1 stood still for one
// frame right after it changed, as a tear one frame old leaves it and as a
// codec's skipped blocks may.
//
// The frame is torn when its longest run of contiguous rows come back is
// at least MinRun(Height) rows, or its longest run of replayed rows of any
// age at least MinStillRun(Height), and at least as many of its rows are
// new: not replayed, changed since the frame before, and holding more than
// one value. A tear splices old rows into new ones; a frame replayed whole
// is a repeat, not a tear, and a band that comes back over a background
// that stands still (a sprite moving in a cycle, a test pattern) is not a
// torn buffer either.
//
// The older frames the check keeps are the frames received, themselves
// torn when the fault lasts, not the clean frames the buffer bug took its
// rows from. A tear whose rows [0, L_t) of frame t come from the clean
// frame t−a still shows: the received frame t−a holds its own clean rows
// below its own line, [L_{t−a}, H), so frame t replays it on [L_{t−a},
// L_t), about half the frames when lines are drawn afresh each frame (rows
// above L_{t−a} were never received as they are now). Those rows of frame
// t−a had just changed (frame t−a−1 showed an older frame there, or its
// own), and no frame in between shows them (the scene moved on).
type RowReplay struct {
	seed          maphash.Seed
	width, height int
	format        sensors.PixelFormat

	frames int // frames kept since the last reset, at most TearDepth−1
	slot   int // where the newest kept frame is
	// kept[y*(TearDepth−1)+s] is row y's hash in the frame in slot s and
	// fresh[...] whether that row had just changed then (it differed
	// from the frame before, and held more than one value).
	kept  []uint64
	fresh []bool
}

// TearResult is a frame's verdict.
type TearResult struct {
	Rows     int // rows of the frame
	Replayed int // rows replayed
	Run      int // longest run of contiguous replayed rows
	RunBack  int // longest run of contiguous rows come back (replayed from two or more frames before)
	New      int // rows that changed since the frame before (and hold more than one byte value), not replayed
	Torn     bool
	// Digest hashes the frame's size, format and the pixel bytes of every
	// row (not the stride's padding), from the row hashes: frames with
	// equal bytes have equal digests, different frames differ but with
	// probability about 2^-64.
	Digest uint64
	// Valid says the image's buffer holds its geometry; an invalid image
	// gets no verdict and no digest, and the check forgets its history.
	Valid bool
}

// Frac is the run's fraction of the frame's height (0 for no rows).
func (r TearResult) Frac() float64 {
	if r.Rows == 0 {
		return 0
	}
	return float64(r.Run) / float64(r.Rows)
}

// Level is the level the frame asks for: ERROR when torn, else OK.
func (r TearResult) Level() level.Level {
	if r.Torn {
		return level.Error
	}
	return level.OK
}

// MinRun is the shortest run of rows come back that tears a frame of the
// given height.
func MinRun(height int) int { return max(MinTearRows, height/TearRowsDiv) }

// MinStillRun is the shortest run of replayed rows of any age that tears
// a frame of the given height.
func MinStillRun(height int) int { return max(MinStillRows, height/StillRowsDiv) }

// Reset forgets the frames seen: the next frame is compared with nothing
// (after a gap in the stream or a reconnect).
func (c *RowReplay) Reset() { c.frames = 0 }

// Check hashes each row of im once, judges the frame against the frames
// before it and keeps its row hashes for the next.
func (c *RowReplay) Check(im *sensors.Image) TearResult {
	bpp, rowBytes, ok := rowGeometry(im)
	if !ok {
		c.Reset()
		return TearResult{}
	}
	if c.seed == (maphash.Seed{}) {
		c.seed = maphash.MakeSeed()
	}
	if im.Width != c.width || im.Height != c.height || im.Format != c.format || c.kept == nil {
		c.resize(im.Width, im.Height, im.Format)
	}
	const depth = TearDepth - 1
	next := c.slot + 1
	if next == depth {
		next = 0
	}
	res := TearResult{Rows: im.Height, Valid: true}
	digest := mix(uint64(im.Width)<<32|uint64(im.Height), uint64(im.Format))
	run, back := 0, 0
	for y := range im.Height {
		row := im.Pix[y*im.Stride : y*im.Stride+rowBytes]
		h := maphash.Bytes(c.seed, row)
		digest = mix(digest, h)
		flat := bytes.Equal(row[bpp:], row[:len(row)-bpp])
		kept, fresh := c.kept[y*depth:(y+1)*depth], c.fresh[y*depth:(y+1)*depth]
		age := 0 // of the replayed row's copy; 0: not replayed
		if !flat && contains(kept, h) {
			// The nearest older frame whose row hashes alike, newest first.
			for a, s := 1, c.slot; a <= c.frames; a++ {
				if kept[s] == h {
					if fresh[s] {
						age = a
					}
					break
				}
				if s--; s < 0 {
					s = depth - 1
				}
			}
		}
		// Nothing came before the first frame: no row of it has just
		// changed.
		changed := !flat && c.frames > 0 && h != kept[c.slot]
		if age > 0 {
			res.Replayed++
			run++
		} else {
			run = 0
			if changed {
				res.New++
			}
		}
		if age > 1 {
			back++
		} else {
			back = 0
		}
		res.Run, res.RunBack = max(res.Run, run), max(res.RunBack, back)
		kept[next], fresh[next] = h, changed
	}
	c.slot = next
	c.frames = min(c.frames+1, depth)
	if need := MinRun(im.Height); res.RunBack >= need && res.New >= need {
		res.Torn = true
	}
	if need := MinStillRun(im.Height); res.Run >= need && res.New >= need {
		res.Torn = true
	}
	res.Digest = digest
	return res
}

func (c *RowReplay) resize(w, h int, f sensors.PixelFormat) {
	c.width, c.height, c.format = w, h, f
	n := h * (TearDepth - 1)
	if cap(c.kept) < n {
		c.kept = make([]uint64, n)
		c.fresh = make([]bool, n)
	}
	c.kept, c.fresh = c.kept[:n], c.fresh[:n]
	c.frames, c.slot = 0, 0
}

// contains reports whether any of kept (slots not in use included) is h:
// the common case, a row that matches no older frame, in one pass without
// the ages.
func contains(kept []uint64, h uint64) bool {
	var eq uint64
	for _, k := range kept {
		if k == h {
			eq |= 1
		}
	}
	return eq != 0
}

// mix folds v into the digest d (the merge step of XXH64).
func mix(d, v uint64) uint64 {
	const (
		prime1 uint64 = 11400714785074694791
		prime2 uint64 = 14029467366897019727
		prime4 uint64 = 9650029242287828579
	)
	d ^= bits.RotateLeft64(v*prime2, 31) * prime1
	return d*prime1 + prime4
}
