package recorded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sensortrust/trustagent/sensors"
)

// ErrFormat is returned (wrapped) when a file is not in the format its name
// claims or uses a variant this package does not read.
var ErrFormat = errors.New("recorded: bad format")

// pcdField is one FIELDS entry of a PCD header.
type pcdField struct {
	name   string
	size   int  // bytes per element
	typ    byte // 'F', 'U' or 'I'
	count  int  // elements
	offset int  // byte offset within a binary point
}

// pcdHeader is the parsed header of a PCD file (PCL file format v0.7).
type pcdHeader struct {
	fields    []pcdField
	width     int
	height    int
	points    int
	data      string // "ascii", "binary" or "binary_compressed"
	pointSize int
}

// maxPCDPoints bounds POINTS so a corrupt header cannot ask for gigabytes.
const maxPCDPoints = 1 << 26

// DecodePCD decodes a PCD file (ASCII, binary or binary_compressed) into a
// scan. Fields x, y and z are required; intensity (or i) and ring are used
// when present, all others are ignored. Points with non-finite coordinates
// (organised clouds mark holes with NaN) are skipped. Intensity is
// normalised to [0, 1]. With a ring field, Rings is the largest ring + 1.
func DecodePCD(b []byte) (*sensors.Scan, error) {
	h, body, err := parsePCDHeader(b)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, f := range h.fields {
		if _, dup := idx[f.name]; !dup {
			idx[f.name] = i
		}
	}
	fx, okx := idx["x"]
	fy, oky := idx["y"]
	fz, okz := idx["z"]
	if !okx || !oky || !okz {
		return nil, fmt.Errorf("%w: PCD without x, y, z fields", ErrFormat)
	}
	fi, okI := idx["intensity"]
	if !okI {
		fi, okI = idx["i"]
	}
	fr, okR := idx["ring"]

	var vals func(p int, f int) (float64, error)
	switch h.data {
	case "ascii":
		rows, err := pcdASCIIRows(body, h)
		if err != nil {
			return nil, err
		}
		vals = func(p, f int) (float64, error) { return rows[p][f], nil }
	case "binary":
		need := h.points * h.pointSize
		if len(body) < need {
			return nil, fmt.Errorf("%w: PCD binary data holds %d bytes, header says %d points of %d bytes", ErrTruncated, len(body), h.points, h.pointSize)
		}
		vals = func(p, f int) (float64, error) {
			fl := h.fields[f]
			return pcdValue(body[p*h.pointSize+fl.offset:], fl), nil
		}
	case "binary_compressed":
		soa, err := pcdDecompress(body, h)
		if err != nil {
			return nil, err
		}
		// Compressed data is stored field by field (structure of arrays).
		starts := make([]int, len(h.fields))
		off := 0
		for i, f := range h.fields {
			starts[i] = off
			off += h.points * f.size * f.count
		}
		vals = func(p, f int) (float64, error) {
			fl := h.fields[f]
			return pcdValue(soa[starts[f]+p*fl.size*fl.count:], fl), nil
		}
	default:
		return nil, fmt.Errorf("%w: PCD DATA %q", ErrFormat, h.data)
	}

	s := &sensors.Scan{Points: make([]sensors.Point, 0, h.points)}
	maxRing := -1
	for p := 0; p < h.points; p++ {
		x, _ := vals(p, fx)
		y, _ := vals(p, fy)
		z, _ := vals(p, fz)
		in := 0.0
		if okI {
			in, _ = vals(p, fi)
		}
		pt, ok := pointXYZI(float32(x), float32(y), float32(z), float32(in))
		if !ok {
			continue
		}
		if okR {
			r, _ := vals(p, fr)
			if r >= 0 && r < 1<<16 {
				pt.Ring = uint16(r)
				maxRing = max(maxRing, int(pt.Ring))
			}
		}
		s.Points = append(s.Points, pt)
	}
	if okR {
		s.Rings = maxRing + 1
	}
	NormalizeIntensity(s.Points)
	return s, nil
}

// parsePCDHeader parses the header lines up to and including DATA and
// returns the bytes after it.
func parsePCDHeader(b []byte) (*pcdHeader, []byte, error) {
	h := &pcdHeader{width: -1, height: 1, points: -1}
	var sizes, counts []int
	var types []byte
	rest := b
	for h.data == "" {
		if len(rest) == 0 {
			return nil, nil, fmt.Errorf("%w: PCD header without DATA line", ErrFormat)
		}
		line, after, _ := bytes.Cut(rest, []byte{'\n'})
		rest = after
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		key, val, _ := strings.Cut(s, " ")
		words := strings.Fields(val)
		var err error
		switch strings.ToUpper(key) {
		case "VERSION", "VIEWPOINT":
		case "FIELDS", "COLUMNS":
			h.fields = h.fields[:0]
			for _, w := range words {
				h.fields = append(h.fields, pcdField{name: strings.ToLower(w), count: 1})
			}
		case "SIZE":
			sizes, err = atois(words)
		case "COUNT":
			counts, err = atois(words)
		case "TYPE":
			types = types[:0]
			for _, w := range words {
				if len(w) != 1 {
					return nil, nil, fmt.Errorf("%w: PCD TYPE %q", ErrFormat, w)
				}
				types = append(types, w[0])
			}
		case "WIDTH":
			h.width, err = atoi1(words)
		case "HEIGHT":
			h.height, err = atoi1(words)
		case "POINTS":
			h.points, err = atoi1(words)
		case "DATA":
			if len(words) != 1 {
				return nil, nil, fmt.Errorf("%w: PCD DATA line %q", ErrFormat, s)
			}
			h.data = strings.ToLower(words[0])
		default:
			return nil, nil, fmt.Errorf("%w: PCD header line %q", ErrFormat, s)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: PCD %s: %v", ErrFormat, key, err)
		}
	}
	if len(h.fields) == 0 || len(sizes) != len(h.fields) || len(types) != len(h.fields) {
		return nil, nil, fmt.Errorf("%w: PCD FIELDS, SIZE and TYPE disagree", ErrFormat)
	}
	if counts != nil && len(counts) != len(h.fields) {
		return nil, nil, fmt.Errorf("%w: PCD COUNT disagrees with FIELDS", ErrFormat)
	}
	if h.points < 0 {
		if h.width < 0 {
			return nil, nil, fmt.Errorf("%w: PCD without POINTS or WIDTH", ErrFormat)
		}
		if h.height > 0 && h.width > maxPCDPoints/h.height {
			return nil, nil, fmt.Errorf("%w: PCD WIDTH×HEIGHT too large", ErrFormat)
		}
		h.points = h.width * h.height
	}
	if h.points > maxPCDPoints {
		return nil, nil, fmt.Errorf("%w: PCD POINTS %d exceeds %d", ErrFormat, h.points, maxPCDPoints)
	}
	off := 0
	for i := range h.fields {
		f := &h.fields[i]
		f.size, f.typ, f.offset = sizes[i], types[i], off
		if counts != nil {
			f.count = counts[i]
		}
		if f.count < 1 || f.count > 1<<10 || len(h.fields) > 1<<10 {
			return nil, nil, fmt.Errorf("%w: PCD COUNT %d", ErrFormat, f.count)
		}
		if !validPCDType(f.typ, f.size) {
			return nil, nil, fmt.Errorf("%w: PCD field %s TYPE %c SIZE %d", ErrFormat, f.name, f.typ, f.size)
		}
		off += f.size * f.count
	}
	h.pointSize = off
	if int64(h.points)*int64(h.pointSize) > math.MaxInt32 {
		return nil, nil, fmt.Errorf("%w: PCD of %d points × %d bytes too large", ErrFormat, h.points, h.pointSize)
	}
	return h, rest, nil
}

func validPCDType(t byte, size int) bool {
	switch t {
	case 'F':
		return size == 4 || size == 8
	case 'U', 'I':
		return size == 1 || size == 2 || size == 4 || size == 8
	}
	return false
}

// pcdValue reads the first element of field f at b (little endian, as PCL
// writes on every platform it supports).
func pcdValue(b []byte, f pcdField) float64 {
	switch {
	case f.typ == 'F' && f.size == 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case f.typ == 'F':
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case f.typ == 'U' && f.size == 1:
		return float64(b[0])
	case f.typ == 'U' && f.size == 2:
		return float64(binary.LittleEndian.Uint16(b))
	case f.typ == 'U' && f.size == 4:
		return float64(binary.LittleEndian.Uint32(b))
	case f.typ == 'U':
		return float64(binary.LittleEndian.Uint64(b))
	case f.size == 1:
		return float64(int8(b[0]))
	case f.size == 2:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case f.size == 4:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	}
	return float64(int64(binary.LittleEndian.Uint64(b)))
}

// pcdASCIIRows parses ASCII data: one point per line, the first element of
// each field (COUNT > 1 fields are skipped past).
func pcdASCIIRows(body []byte, h *pcdHeader) ([][]float64, error) {
	rows := make([][]float64, 0, min(h.points, len(body)/2+1))
	line := 0
	for len(rows) < h.points {
		if len(body) == 0 {
			return nil, fmt.Errorf("%w: PCD ASCII data has %d of %d points", ErrTruncated, len(rows), h.points)
		}
		var l []byte
		l, body, _ = bytes.Cut(body, []byte{'\n'})
		line++
		words := strings.Fields(string(l))
		if len(words) == 0 {
			continue
		}
		row := make([]float64, len(h.fields))
		k := 0
		for i, f := range h.fields {
			if k >= len(words) {
				return nil, fmt.Errorf("%w: PCD ASCII point %d has %d values", ErrFormat, line, len(words))
			}
			v, err := strconv.ParseFloat(words[k], 64)
			if err != nil {
				return nil, fmt.Errorf("%w: PCD ASCII point %d: %q", ErrFormat, line, words[k])
			}
			row[i] = v
			k += f.count
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// pcdDecompress returns the uncompressed field-major data of a
// binary_compressed PCD: uint32 compressed size, uint32 uncompressed size,
// then LZF data.
func pcdDecompress(body []byte, h *pcdHeader) ([]byte, error) {
	if len(body) < 8 {
		return nil, fmt.Errorf("%w: PCD compressed header", ErrTruncated)
	}
	csize := int(binary.LittleEndian.Uint32(body))
	usize := int(binary.LittleEndian.Uint32(body[4:]))
	body = body[8:]
	if csize > len(body) {
		return nil, fmt.Errorf("%w: PCD compressed data holds %d of %d bytes", ErrTruncated, len(body), csize)
	}
	if usize != h.points*h.pointSize {
		return nil, fmt.Errorf("%w: PCD uncompressed size %d, header says %d", ErrFormat, usize, h.points*h.pointSize)
	}
	// LZF expands at most ~132×; refuse sizes the input cannot produce.
	if usize > 140*csize+64 {
		return nil, fmt.Errorf("%w: PCD uncompressed size %d from %d bytes", ErrFormat, usize, csize)
	}
	out, err := lzfDecompress(body[:csize], make([]byte, 0, usize))
	if err != nil {
		return nil, err
	}
	if len(out) != usize {
		return nil, fmt.Errorf("%w: PCD LZF produced %d of %d bytes", ErrFormat, len(out), usize)
	}
	return out, nil
}

// lzfDecompress appends the LZF decompression of in to out (liblzf format:
// control byte < 32 is a literal run of ctrl+1 bytes, otherwise a
// back-reference of length ctrl>>5 (+ next byte when 7) + 2 at distance
// ((ctrl&31)<<8 | next) + 1). It never grows out beyond its capacity.
func lzfDecompress(in, out []byte) ([]byte, error) {
	limit := cap(out)
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			n := ctrl + 1
			if ip+n > len(in) || len(out)+n > limit {
				return nil, fmt.Errorf("%w: PCD LZF literal overruns", ErrFormat)
			}
			out = append(out, in[ip:ip+n]...)
			ip += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(in) {
				return nil, fmt.Errorf("%w: PCD LZF length", ErrTruncated)
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, fmt.Errorf("%w: PCD LZF reference", ErrTruncated)
		}
		ref := len(out) - ((ctrl&31)<<8 | int(in[ip])) - 1
		ip++
		n += 2
		if ref < 0 || len(out)+n > limit {
			return nil, fmt.Errorf("%w: PCD LZF reference out of range", ErrFormat)
		}
		for i := 0; i < n; i++ {
			out = append(out, out[ref+i])
		}
	}
	return out, nil
}

func atois(ws []string) ([]int, error) {
	out := make([]int, len(ws))
	for i, w := range ws {
		v, err := strconv.Atoi(w)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad number %q", w)
		}
		out[i] = v
	}
	return out, nil
}

func atoi1(ws []string) (int, error) {
	if len(ws) != 1 {
		return 0, fmt.Errorf("want one number, got %d", len(ws))
	}
	v, err := strconv.Atoi(ws[0])
	if err != nil || v < 0 || v > maxPCDPoints {
		return 0, fmt.Errorf("bad number %q", ws[0])
	}
	return v, nil
}
