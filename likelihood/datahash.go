package likelihood

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"

	"github.com/sensortrust/trustagent/sensors"
)

// hashRaw adds one frame's raw representation to a training data hash:
// every value as its IEEE 754 bits, little-endian.
func hashRaw(h hash.Hash, x []float64, buf *[8]byte) {
	for _, v := range x {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		h.Write(buf[:])
	}
}

// DataHash is the TrainMeta.DataHash that Train would record for frames:
// SHA-256 over the raw representation of every readable frame, in order.
// It equals m.Meta().DataHash exactly when frames are the stream m was
// trained on, which lets evaluation notice a clean recording that is the
// model's own training data.
func (m *Model) DataHash(ctx context.Context, frames []sensors.Frame) ([32]byte, error) {
	var sum [32]byte
	enc := newEncoder(&m.repr)
	x := make([]float64, m.repr.Dims())
	h := sha256.New()
	var buf [8]byte
	for i, f := range frames {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		if err := enc.raw(x, f); err != nil {
			if errors.Is(err, ErrWrongKind) {
				return sum, fmt.Errorf("likelihood: frame %d: %w", i, err)
			}
			enc.reset()
			continue
		}
		hashRaw(h, x, &buf)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
