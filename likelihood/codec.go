package likelihood

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Model file layout (little endian): magic "TALRVAE1", format version
// uint32, the sections written by MarshalBinary in order (lengths before
// every slice), CRC-32 (IEEE) of everything before it.
const (
	modelMagic = "TALRVAE1"
	// 4: per-input precisions and the centre and scale of the NLL after the
	// re-fit (the score's third part); 3: int16 Q11 inputs and int16
	// input-layer weights (2: int8). Format 3 is still read: its models
	// score with two parts, as they were calibrated.
	modelVersion    = 4
	modelVersionMin = 3
	maxSlice        = 1 << 26
)

type writer struct{ b []byte }

func (w *writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *writer) i64(v int64)  { w.u64(uint64(v)) }
func (w *writer) f64(v float64) {
	w.u64(math.Float64bits(v))
}
func (w *writer) n(v int) { w.u64(uint64(v)) }
func (w *writer) f64s(v []float64) {
	w.n(len(v))
	for _, x := range v {
		w.f64(x)
	}
}
func (w *writer) f32s(v []float32) {
	w.n(len(v))
	for _, x := range v {
		w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(x))
	}
}
func (w *writer) u8s(v []uint8) {
	w.n(len(v))
	w.b = append(w.b, v...)
}
func (w *writer) i16s(v []int16) {
	w.n(len(v))
	for _, x := range v {
		w.b = binary.LittleEndian.AppendUint16(w.b, uint16(x))
	}
}
func (w *writer) i32s(v []int32) {
	w.n(len(v))
	for _, x := range v {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(x))
	}
}
func (w *writer) i64s(v []int64) {
	w.n(len(v))
	for _, x := range v {
		w.i64(x)
	}
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("likelihood: %w: truncated or corrupt at %s", ErrBadModel, what)
	}
}

func (r *reader) take(k int, what string) []byte {
	if r.err != nil || k < 0 || k > len(r.b) {
		r.fail(what)
		return nil
	}
	s := r.b[:k]
	r.b = r.b[k:]
	return s
}
func (r *reader) u64() uint64 {
	s := r.take(8, "integer")
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s)
}
func (r *reader) i64() int64   { return int64(r.u64()) }
func (r *reader) f64() float64 { return math.Float64frombits(r.u64()) }

// n reads a length of elements of size bytes each.
func (r *reader) n(size int) int {
	v := r.u64()
	if r.err != nil {
		return 0
	}
	if v > maxSlice || int(v)*size > len(r.b) {
		r.fail("length")
		return 0
	}
	return int(v)
}

func (r *reader) f64s() []float64 {
	k := r.n(8)
	v := make([]float64, k)
	for i := range v {
		v[i] = r.f64()
	}
	return v
}
func (r *reader) f32s() []float32 {
	k := r.n(4)
	s := r.take(4*k, "float32s")
	v := make([]float32, k)
	for i := range v {
		if s != nil {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(s[4*i:]))
		}
	}
	return v
}
func (r *reader) u8s() []uint8 {
	k := r.n(1)
	s := r.take(k, "uint8s")
	return append([]uint8(nil), s...)
}
func (r *reader) i16s() []int16 {
	k := r.n(2)
	s := r.take(2*k, "int16s")
	v := make([]int16, k)
	for i := range v {
		if s != nil {
			v[i] = int16(binary.LittleEndian.Uint16(s[2*i:]))
		}
	}
	return v
}
func (r *reader) i32s() []int32 {
	k := r.n(4)
	s := r.take(4*k, "int32s")
	v := make([]int32, k)
	for i := range v {
		if s != nil {
			v[i] = int32(binary.LittleEndian.Uint32(s[4*i:]))
		}
	}
	return v
}
func (r *reader) i64s() []int64 {
	k := r.n(8)
	v := make([]int64, k)
	for i := range v {
		v[i] = r.i64()
	}
	return v
}

// MarshalBinary encodes the model.
func (m *Model) MarshalBinary() ([]byte, error) {
	w := &writer{b: append([]byte(nil), modelMagic...)}
	w.b = binary.LittleEndian.AppendUint32(w.b, modelVersion)
	// Representation.
	r := &m.repr
	w.n(int(r.Kind))
	w.f32s(r.Elevations)
	w.n(r.AzBins)
	w.f64(float64(r.MaxRange))
	w.n(r.ThumbW)
	w.n(r.ThumbH)
	w.n(int(r.Channels))
	w.f64(r.StatWeight)
	w.f64s(r.Center)
	w.f64s(r.Scale)
	w.f64s(m.weight)
	// Float network.
	n := m.net
	w.n(n.D)
	w.n(n.H1)
	w.n(n.L)
	w.n(n.H2)
	w.f64s(n.P)
	// Quantised network.
	q := m.q
	w.i16s(q.W1)
	w.i32s(q.M1)
	w.u8s(q.S1)
	w.i64s(q.B1)
	w.i16s(q.Wm)
	w.i32s(q.Mm)
	w.u8s(q.Sm)
	w.i64s(q.Bm)
	w.i16s(q.Wv)
	w.i32s(q.Mv)
	w.u8s(q.Sv)
	w.i64s(q.Bv)
	w.i16s(q.W2)
	w.i32s(q.M2)
	w.u8s(q.S2)
	w.i64s(q.B2)
	w.i16s(q.Wt)
	w.i32s(q.Mt)
	w.u8s(q.St)
	w.i16s(q.B3)
	w.i32s(q.G)
	w.i64(int64(q.GShift))
	w.i16s(q.W3s)
	w.i32s(q.M3s)
	w.u8s(q.S3s)
	w.i64s(q.B3s)
	w.i64s(q.Lam)
	w.n(int(q.Mode))
	w.i64(q.CRegret)
	w.i64(q.SRegret)
	w.i64(q.CResid)
	w.i64(q.SResid)
	w.i32s(q.LamX)
	w.i64(int64(q.LShift))
	w.i64(q.CNLL)
	w.i64(q.SNLL)
	// Refit.
	c := m.refit
	w.n(c.Steps)
	w.n(c.Directions)
	w.n(c.Samples)
	w.f64(c.Smoothing)
	w.f64(c.Step)
	w.u64(c.Seed)
	// Calibration.
	k := m.cal
	for _, v := range []float64{k.Threshold, k.TargetFPR, k.Mean, k.Std, k.P50, k.P90, k.P99, k.Max} {
		w.f64(v)
	}
	w.n(k.Frames)
	// Metadata.
	t := m.meta
	w.u64(t.Seed)
	for _, v := range []int{t.Frames, t.Skipped, t.TrainFrames, t.ValFrames, t.CalFrames, t.Epochs, t.BestEpoch} {
		w.n(v)
	}
	w.f64(t.TrainLoss)
	w.f64(t.ValLoss)
	w.b = append(w.b, t.DataHash[:]...)
	w.i64(t.Created.Unix())
	w.i64(int64(t.Duration))
	w.b = binary.LittleEndian.AppendUint32(w.b, crc32.ChecksumIEEE(w.b))
	return w.b, nil
}

// UnmarshalModel decodes and validates a model. Corrupt, truncated or
// inconsistent bytes give an error wrapping ErrBadModel, never a panic.
func UnmarshalModel(b []byte) (*Model, error) {
	if len(b) < len(modelMagic)+8 || string(b[:len(modelMagic)]) != modelMagic {
		return nil, fmt.Errorf("likelihood: %w: not a model file", ErrBadModel)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("likelihood: %w: checksum mismatch", ErrBadModel)
	}
	version := binary.LittleEndian.Uint32(body[len(modelMagic):])
	if version < modelVersionMin || version > modelVersion {
		return nil, fmt.Errorf("likelihood: %w: format version %d, this build reads %d to %d", ErrBadModel, version, modelVersionMin, modelVersion)
	}
	r := &reader{b: body[len(modelMagic)+4:]}
	m := &Model{}
	p := &m.repr
	small := func() int {
		v := r.u64()
		if v > 1<<30 {
			r.fail("size")
			return 0
		}
		return int(v)
	}
	p.Kind = sensors.Kind(small())
	p.Elevations = r.f32s()
	p.AzBins = small()
	p.MaxRange = float32(r.f64())
	p.ThumbW = small()
	p.ThumbH = small()
	p.Channels = Channels(small())
	p.StatWeight = r.f64()
	p.Center = r.f64s()
	p.Scale = r.f64s()
	m.weight = r.f64s()
	D, H1, L, H2 := small(), small(), small(), small()
	P := r.f64s()
	if r.err != nil {
		return nil, r.err
	}
	m.net = &net{D: D, H1: H1, L: L, H2: H2, P: P}
	if err := m.net.check(); err != nil {
		return nil, err
	}
	m.net.bind()
	q := &qnet{D: D, H1: H1, L: L, H2: H2}
	q.W1, q.M1, q.S1, q.B1 = r.i16s(), r.i32s(), r.u8s(), r.i64s()
	q.Wm, q.Mm, q.Sm, q.Bm = r.i16s(), r.i32s(), r.u8s(), r.i64s()
	q.Wv, q.Mv, q.Sv, q.Bv = r.i16s(), r.i32s(), r.u8s(), r.i64s()
	q.W2, q.M2, q.S2, q.B2 = r.i16s(), r.i32s(), r.u8s(), r.i64s()
	q.Wt, q.Mt, q.St = r.i16s(), r.i32s(), r.u8s()
	q.B3, q.G = r.i16s(), r.i32s()
	gs := r.i64()
	if gs < -128 || gs > 127 {
		r.fail("quadratic scale")
	}
	q.GShift = int8(gs)
	q.W3s, q.M3s, q.S3s, q.B3s, q.Lam = r.i16s(), r.i32s(), r.u8s(), r.i64s(), r.i64s()
	q.Mode = ScoreMode(small())
	q.CRegret, q.SRegret, q.CResid, q.SResid = r.i64(), r.i64(), r.i64(), r.i64()
	if version >= 4 {
		q.LamX = r.i32s()
		ls := r.i64()
		if ls < -40 || ls > 40 {
			r.fail("input precision scale")
		}
		q.LShift = int8(ls)
		q.CNLL, q.SNLL = r.i64(), r.i64()
	}
	m.q = q
	c := &m.refit
	c.Steps, c.Directions, c.Samples = small(), small(), small()
	c.Smoothing, c.Step, c.Seed = r.f64(), r.f64(), r.u64()
	k := &m.cal
	for _, f := range []*float64{&k.Threshold, &k.TargetFPR, &k.Mean, &k.Std, &k.P50, &k.P90, &k.P99, &k.Max} {
		*f = r.f64()
	}
	k.Frames = small()
	t := &m.meta
	t.Seed = r.u64()
	for _, f := range []*int{&t.Frames, &t.Skipped, &t.TrainFrames, &t.ValFrames, &t.CalFrames, &t.Epochs, &t.BestEpoch} {
		*f = small()
	}
	t.TrainLoss, t.ValLoss = r.f64(), r.f64()
	copy(t.DataHash[:], r.take(32, "data hash"))
	t.Created = time.Unix(r.i64(), 0).UTC()
	t.Duration = time.Duration(r.i64())
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("likelihood: %w: %d trailing bytes", ErrBadModel, len(r.b))
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// validate checks the consistency of a decoded model.
func (m *Model) validate() error {
	if err := m.repr.validate(); err != nil {
		return fmt.Errorf("likelihood: %w: %w", ErrBadModel, err)
	}
	if m.repr.Dims() != m.net.D || len(m.weight) != m.net.D {
		return fmt.Errorf("likelihood: %w: representation has %d inputs, network %d", ErrBadModel, m.repr.Dims(), m.net.D)
	}
	for _, v := range m.weight {
		if !(v >= 0 && v < 1e6) {
			return fmt.Errorf("likelihood: %w: input weight %g", ErrBadModel, v)
		}
	}
	if err := m.q.check(); err != nil {
		return err
	}
	if err := m.refit.validate(); err != nil {
		return fmt.Errorf("likelihood: %w: %w", ErrBadModel, err)
	}
	if math.IsNaN(m.cal.Threshold) || math.IsInf(m.cal.Threshold, 0) {
		return fmt.Errorf("likelihood: %w: threshold %g", ErrBadModel, m.cal.Threshold)
	}
	return nil
}
