package firmware_test

import (
	"bytes"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
)

// FuzzParse: no input may panic; whatever parses must re-encode to exactly
// the same bytes (the format has one encoding per bundle) and its typed
// sections must decode without panicking.
func FuzzParse(f *testing.F) {
	a := firmwaretest.Key("a")
	signed := mustBuild(f, small, a)
	f.Add(signed)
	f.Add(mustBuild(f, small))
	f.Add(signed[:len(signed)-1])
	f.Add([]byte(firmware.Magic))
	f.Add([]byte{})
	ts := trust(a)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := firmware.Parse(data)
		if err != nil {
			if b != nil {
				t.Fatal("bundle returned with an error")
			}
			return
		}
		again, err := b.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed bundle does not re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("re-encoding differs from the input")
		}
		b.Calibration()
		b.Metadata()
		b.Probes()
		firmware.Verify(data, firmware.Policy{Trust: ts, Signatures: firmware.AllowUnsigned})
		firmware.CheckSignatures(data, ts)
	})
}

func FuzzParseCalibration(f *testing.F) {
	seed, _ := firmware.Calibration{TargetFPR: 0.01, Thresholds: []firmware.Threshold{{"warn", 7}}, Stats: []firmware.Stat{{"n", 3}}}.MarshalBinary()
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := firmware.ParseCalibration(p)
		if err != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed calibration does not re-encode: %v", err)
		}
		if !bytes.Equal(again, p) {
			// NaN statistics are the one lossy case: payloads differ only in
			// NaN bit patterns, which MarshalBinary keeps as given.
			c2, err := firmware.ParseCalibration(again)
			if err != nil || len(c2.Stats) != len(c.Stats) {
				t.Fatal("calibration round trip differs")
			}
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	seed, _ := firmware.Metadata{Seed: 9, ToolVersion: "v1"}.MarshalBinary()
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := firmware.ParseMetadata(p)
		if err != nil {
			return
		}
		again, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("metadata round trip: %v", err)
		}
	})
}

func FuzzParseProbes(f *testing.F) {
	seed, _ := firmware.MarshalProbes([]firmware.Probe{{Section: firmware.SectionVAE, Input: []byte{1, 2}, Score: -5}})
	f.Add(seed)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		ps, err := firmware.ParseProbes(p)
		if err != nil {
			return
		}
		again, err := firmware.MarshalProbes(ps)
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("probes round trip: %v", err)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	k := firmwaretest.Key("fuzz")
	priv, _ := k.MarshalText()
	pub, _ := k.Public().MarshalText()
	f.Add(string(priv))
	f.Add(string(pub))
	f.Add("a+b+c")
	f.Fuzz(func(t *testing.T, line string) {
		if pk, err := firmware.ParsePublicKey(line); err == nil {
			if _, err := pk.MarshalText(); err != nil {
				t.Fatalf("parsed public key does not re-encode: %v", err)
			}
		}
		if sk, err := firmware.ParsePrivateKey(line); err == nil {
			if _, err := sk.MarshalText(); err != nil {
				t.Fatalf("parsed private key does not re-encode: %v", err)
			}
		}
	})
}
