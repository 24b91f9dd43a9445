package firmware_test

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
)

// plusReader is deterministic randomness whose public key's base64 holds a '+'.
type plusReader struct{ b byte }

func (r *plusReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

func TestKeyWithPlusInBase64(t *testing.T) {
	for b := 0; b < 256; b++ {
		k, err := firmware.GenerateKey("k", &plusReader{byte(b)})
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := k.Public().MarshalText()
		if !strings.Contains(string(pub[len("k+0123456789abcdef+"):]), "+") {
			continue
		}
		if _, err := firmware.ParsePublicKey(string(pub)); err != nil {
			t.Fatalf("%s: %v", pub, err)
		}
		priv, _ := k.MarshalText()
		if _, err := firmware.ParsePrivateKey(string(priv)); err != nil {
			t.Fatalf("private: %v", err)
		}
		return
	}
	t.Fatal("found no key with '+' in its base64 form")
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	k, err := firmware.GenerateKey("fleet-2026", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "fleet")
	if err := firmware.WriteKeyPair(base, k); err != nil {
		t.Fatal(err)
	}
	if err := firmware.WriteKeyPair(base, k); err == nil {
		t.Fatal("overwrote an existing key")
	}
	st, err := os.Stat(base + ".key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", st.Mode(), err)
	}
	got, err := firmware.ReadPrivateKey(base + ".key")
	if err != nil || got.KeyID() != k.KeyID() || got.Name != "fleet-2026" {
		t.Fatalf("read back: %v", err)
	}
	ts, err := firmware.LoadTrustStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ts.Verifier(k.KeyID()); err != nil || v.KeyID() != k.KeyID() {
		t.Fatalf("trust store lookup: %v", err)
	}
	var uk *firmware.UnknownKeyError
	if _, err := ts.Verifier(firmware.KeyID{1}); !errors.As(err, &uk) {
		t.Fatalf("unknown key: %v", err)
	}
	if err := os.Chmod(base+".key", 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := firmware.ReadPrivateKey(base + ".key"); err == nil {
		t.Fatal("accepted a world-readable private key")
	}
	// A key id that does not match the key is refused.
	pub, _ := os.ReadFile(base + ".pub")
	bad := []byte(string(pub))
	i := len("fleet-2026+")
	bad[i] ^= 1
	if bad[i] > 'f' || bad[i] < '0' {
		bad[i] = '0'
	}
	if _, err := firmware.ParsePublicKey(string(bad)); !errors.Is(err, firmware.ErrMalformed) {
		t.Fatalf("mismatched key id: %v", err)
	}
	if _, err := firmware.GenerateKey("has space", rand.Reader); err == nil {
		t.Fatal("accepted a key name with a space")
	}
}
