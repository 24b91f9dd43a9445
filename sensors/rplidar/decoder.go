package rplidar

// DecoderStats count what a SampleDecoder saw.
type DecoderStats struct {
	Samples   uint64 // accepted samples
	Malformed uint64 // samples rejected while in sync (check bits, angle)
	Resyncs   uint64 // hunts for the next valid sample
	Skipped   uint64 // bytes dropped while hunting
}

// SampleDecoder turns the byte stream after a SCAN descriptor into samples.
// In sync it accepts each sample that passes its checks. After a failure
// it drops one byte at a time and accepts a candidate only when the sample
// after it passes too: the check bits alone pass about one random position
// in six, two in a row about one in thirty. It keeps partial samples
// between Feed calls. The zero value is ready.
type SampleDecoder struct {
	buf     [2 * SampleLen]byte
	n       int
	hunting bool
	Stats   DecoderStats
}

// Feed consumes p and calls out for each accepted sample.
func (d *SampleDecoder) Feed(p []byte, out func(Sample)) {
	for _, c := range p {
		d.buf[d.n] = c
		d.n++
		d.drain(out)
	}
}

func (d *SampleDecoder) drain(out func(Sample)) {
	for {
		need := SampleLen
		if d.hunting {
			need = 2 * SampleLen
		}
		if d.n < need {
			return
		}
		s, err := ParseSample(d.buf[:SampleLen])
		if err == nil && d.hunting {
			_, err = ParseSample(d.buf[SampleLen:])
		}
		if err == nil {
			d.hunting = false
			d.Stats.Samples++
			copy(d.buf[:], d.buf[SampleLen:d.n])
			d.n -= SampleLen
			out(s)
			continue
		}
		if !d.hunting {
			d.hunting = true
			d.Stats.Malformed++
			d.Stats.Resyncs++
		}
		d.Stats.Skipped++
		copy(d.buf[:], d.buf[1:d.n])
		d.n--
	}
}

// Reset drops a partial sample and assumes alignment, as after a new SCAN
// descriptor.
func (d *SampleDecoder) Reset() { d.n, d.hunting = 0, false }
