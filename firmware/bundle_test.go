package firmware_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/sensors"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// small is a bundle spec small enough for exhaustive flip and truncation
// loops under qemu.
var small = firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "lidar-vae", Version: 3, WeightSize: 8, Probes: 1}

func mustBuild(t testing.TB, s firmwaretest.Spec, keys ...*firmware.PrivateKey) []byte {
	t.Helper()
	data, err := firmwaretest.BuildSigned(s, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func trust(keys ...*firmware.PrivateKey) *firmware.TrustStore {
	var pubs []*firmware.PublicKey
	for _, k := range keys {
		pubs = append(pubs, k.Public())
	}
	return firmware.NewTrustStore(pubs...)
}

func TestRoundTrip(t *testing.T) {
	k := firmwaretest.Key("release")
	data := mustBuild(t, small, k)
	b, err := firmware.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != sensors.KindLidar || b.ModelID != "lidar-vae" || b.Version != 3 || b.Representation != 1 {
		t.Fatalf("header fields: %+v", b)
	}
	if len(b.Signatures) != 1 || b.Signatures[0].KeyID != k.KeyID() {
		t.Fatalf("signatures: %+v", b.Signatures)
	}
	again, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Fatal("Parse then MarshalBinary does not reproduce the bundle")
	}
	cal, ok, err := b.Calibration()
	if err != nil || !ok || cal.TargetFPR != 0.001 {
		t.Fatalf("calibration %+v %v %v", cal, ok, err)
	}
	if v, ok := cal.Threshold("error"); !ok || v != 3<<20 {
		t.Fatalf("error threshold %d %v", v, ok)
	}
	meta, ok, err := b.Metadata()
	if err != nil || !ok || meta.Seed != 42 || meta.ToolVersion != "test" || meta.Created.Year() != 2026 {
		t.Fatalf("metadata %+v %v %v", meta, ok, err)
	}
	probes, err := b.Probes()
	if err != nil || len(probes) != 2 {
		t.Fatalf("probes %d %v", len(probes), err)
	}
}

// TestGolden pins the encoding: the same spec and key must give the same
// bytes on every architecture (ed25519 signatures are deterministic).
func TestGolden(t *testing.T) {
	data := mustBuild(t, small, firmwaretest.Key("release"))
	path := filepath.Join("testdata", "golden-v1.bundle")
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("encoding changed: %d bytes, golden %d bytes (run with -update only for a deliberate format change)", len(data), len(want))
	}
	if _, _, err := firmware.Verify(want, firmware.Policy{Trust: trust(firmwaretest.Key("release"))}); err != nil {
		t.Fatalf("golden bundle does not verify: %v", err)
	}
}

func TestVerifyAccepts(t *testing.T) {
	a, b := firmwaretest.Key("a"), firmwaretest.Key("b")
	data := mustBuild(t, small, a, b)
	var uk *firmware.UnknownKeyError
	if _, _, err := firmware.Verify(data, firmware.Policy{Trust: trust(b)}); !errors.As(err, &uk) || uk.KeyIDs[0] != a.KeyID() {
		t.Fatalf("strict policy: got %v, want unknown key a", err)
	}
	got, signers, err := firmware.Verify(data, firmware.Policy{Trust: trust(b), UnknownKeys: firmware.IgnoreUnknownKeys, Kind: sensors.KindLidar, Installed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || len(signers) != 1 || signers[0] != b.KeyID() {
		t.Fatalf("version %d signers %v", got.Version, signers)
	}
}

func TestFormatVersion(t *testing.T) {
	data := mustBuild(t, small, firmwaretest.Key("a"))
	data[4] = 2
	_, err := firmware.Parse(data)
	var fv *firmware.FormatVersionError
	if !errors.As(err, &fv) || fv.Version != 2 {
		t.Fatalf("got %v", err)
	}
}

// TestEveryByteFlipRejected flips each byte of a bundle signed by two
// trusted keys, with three masks, and requires Verify to refuse each.
func TestEveryByteFlipRejected(t *testing.T) {
	a, b := firmwaretest.Key("a"), firmwaretest.Key("b")
	data := mustBuild(t, small, a, b)
	pol := firmware.Policy{Trust: trust(a, b), Kind: sensors.KindLidar}
	if _, _, err := firmware.Verify(data, pol); err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for i := range data {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			mut := bytes.Clone(data)
			mut[i] ^= mask
			_, _, err := firmware.Verify(mut, pol)
			if err == nil {
				t.Fatalf("flip of byte %d with %#x accepted", i, mask)
			}
			codes[firmware.Code(err)]++
		}
	}
	t.Logf("%d bytes × 3 masks rejected; by reason: %v", len(data), codes)
	for _, c := range []string{"tampered", "bad_signature", "unknown_key", "truncated", "malformed", "unsupported_format"} {
		if codes[c] == 0 {
			t.Errorf("no flip was reported as %s", c)
		}
	}
}

func TestEveryTruncationRejected(t *testing.T) {
	a := firmwaretest.Key("a")
	data := mustBuild(t, small, a)
	pol := firmware.Policy{Trust: trust(a), Signatures: firmware.AllowUnsigned}
	for n := 0; n < len(data); n++ {
		_, _, err := firmware.Verify(data[:n], pol)
		if err == nil {
			t.Fatalf("prefix of %d of %d bytes accepted", n, len(data))
		}
		if n >= 6 && !errors.Is(err, firmware.ErrTruncated) {
			t.Fatalf("prefix of %d bytes: %v, want ErrTruncated", n, err)
		}
	}
	if _, _, err := firmware.Verify(append(bytes.Clone(data), 0), pol); !errors.Is(err, firmware.ErrMalformed) {
		t.Fatalf("trailing byte: %v", err)
	}
}

func TestRejections(t *testing.T) {
	a, b := firmwaretest.Key("a"), firmwaretest.Key("b")
	signedA := mustBuild(t, small, a)
	unsigned := mustBuild(t, small)
	// A signature by b presented under a's key id.
	forged := bytes.Clone(mustBuild(t, small, b))
	aid := a.KeyID()
	copy(forged[len(forged)-72:], aid[:])

	var (
		uk *firmware.UnknownKeyError
		sg *firmware.SignatureError
		se *firmware.SensorError
		dg *firmware.DowngradeError
	)
	cases := []struct {
		name string
		data []byte
		pol  firmware.Policy
		ok   func(error) bool
	}{
		{"wrong key", signedA, firmware.Policy{Trust: trust(b)}, func(e error) bool { return errors.As(e, &uk) && uk.KeyIDs[0] == a.KeyID() }},
		{"wrong key, ignoring unknown keys", signedA, firmware.Policy{Trust: trust(b), UnknownKeys: firmware.IgnoreUnknownKeys}, func(e error) bool { return errors.As(e, &uk) }},
		{"no trust store", signedA, firmware.Policy{}, func(e error) bool { return errors.As(e, &uk) }},
		{"forged key id", forged, firmware.Policy{Trust: trust(a)}, func(e error) bool { return errors.As(e, &sg) && sg.KeyID == a.KeyID() }},
		{"unsigned", unsigned, firmware.Policy{Trust: trust(a)}, func(e error) bool { return errors.Is(e, firmware.ErrUnsigned) }},
		{"wrong sensor", signedA, firmware.Policy{Trust: trust(a), Kind: sensors.KindCamera}, func(e error) bool {
			return errors.As(e, &se) && se.Got == sensors.KindLidar && se.Want == sensors.KindCamera
		}},
		{"downgrade", signedA, firmware.Policy{Trust: trust(a), Installed: 4}, func(e error) bool { return errors.As(e, &dg) && dg.Offered == 3 && dg.Installed == 4 }},
		{"same version", signedA, firmware.Policy{Trust: trust(a), Installed: 3}, func(e error) bool { return errors.As(e, &dg) }},
		{"unsigned in dev mode but older", unsigned, firmware.Policy{Signatures: firmware.AllowUnsigned, Installed: 9}, func(e error) bool { return errors.As(e, &dg) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := firmware.Verify(c.data, c.pol)
			if err == nil || !c.ok(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, _, err := firmware.Verify(unsigned, firmware.Policy{Signatures: firmware.AllowUnsigned}); err != nil {
		t.Fatalf("dev mode refused an unsigned bundle: %v", err)
	}
}

func TestUnknownSectionSkipped(t *testing.T) {
	s := small
	s.Extra = []firmware.Section{{Type: 0x7001, Data: []byte("from a newer writer")}, {Type: 0x7001, Data: nil}}
	a := firmwaretest.Key("a")
	b, _, err := firmware.Verify(mustBuild(t, s, a), firmware.Policy{Trust: trust(a)})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := b.Section(0x7001); !ok || string(p) != "from a newer writer" {
		t.Fatalf("unknown section not kept: %q %v", p, ok)
	}
}

func TestDuplicateKnownSection(t *testing.T) {
	s := small
	s.Extra = []firmware.Section{{Type: firmware.SectionVAE, Data: []byte{1}}}
	if _, err := firmwaretest.Build(s); !errors.Is(err, firmware.ErrMalformed) {
		t.Fatalf("writer accepted a duplicate VAE section: %v", err)
	}
}

func TestSignReplacesOwnSignature(t *testing.T) {
	a, b := firmwaretest.Key("a"), firmwaretest.Key("b")
	data := mustBuild(t, small, a, b, a)
	p, err := firmware.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Signatures) != 2 {
		t.Fatalf("%d signatures, want 2", len(p.Signatures))
	}
	checks, err := firmware.CheckSignatures(data, trust(a))
	if err != nil {
		t.Fatal(err)
	}
	if checks[0].Err == nil || checks[1].Err != nil || checks[1].Name != "a" {
		t.Fatalf("checks: %+v", checks)
	}
}

func TestCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("x"), "error"},
		{firmware.ErrUnsigned, "unsigned"},
		{&firmware.SelfTestError{}, "self_test"},
		{&firmware.DowngradeError{}, "downgrade"},
	} {
		if got := firmware.Code(c.err); got != c.want {
			t.Errorf("Code(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
