package firmware

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// KeyIDSize is the length of a key id in bytes.
const KeyIDSize = 8

// KeyID names a signing key: the first 8 bytes of
// SHA-256("trustagent bundle key\x00" || ed25519 public key).
type KeyID [KeyIDSize]byte

func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// KeyIDOf computes the id of an ed25519 public key.
func KeyIDOf(pub ed25519.PublicKey) KeyID {
	h := sha256.New()
	h.Write([]byte("trustagent bundle key\x00"))
	h.Write(pub)
	var id KeyID
	copy(id[:], h.Sum(nil))
	return id
}

// Signer signs bundle content. It is an interface so that a key held in an
// HSM or a signing service can stand in for a key file.
type Signer interface {
	KeyID() KeyID
	Sign(msg []byte) ([]byte, error)
}

// Verifier checks signatures of one key.
type Verifier interface {
	KeyID() KeyID
	Verify(msg, sig []byte) bool
}

// Verifiers finds the verifier for a key id. It returns an
// *UnknownKeyError for a key it does not trust.
type Verifiers interface {
	Verifier(id KeyID) (Verifier, error)
}

// PublicKey is a named ed25519 public key. It implements Verifier.
type PublicKey struct {
	Name string
	Key  ed25519.PublicKey
}

// KeyID implements Verifier.
func (k *PublicKey) KeyID() KeyID { return KeyIDOf(k.Key) }

// Verify implements Verifier.
func (k *PublicKey) Verify(msg, sig []byte) bool {
	return len(k.Key) == ed25519.PublicKeySize && ed25519.Verify(k.Key, msg, sig)
}

// PrivateKey is a named ed25519 private key. It implements Signer.
type PrivateKey struct {
	Name string
	Key  ed25519.PrivateKey
}

// KeyID implements Signer.
func (k *PrivateKey) KeyID() KeyID { return KeyIDOf(k.Public().Key) }

// Sign implements Signer.
func (k *PrivateKey) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(k.Key, msg), nil }

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey {
	return &PublicKey{Name: k.Name, Key: k.Key.Public().(ed25519.PublicKey)}
}

// GenerateKey makes a new key pair from rand (crypto/rand.Reader in
// production; a fixed reader gives reproducible test keys).
func GenerateKey(name string, rand io.Reader) (*PrivateKey, error) {
	if err := checkKeyName(name); err != nil {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("firmware: generate key: %w", err)
	}
	return &PrivateKey{Name: name, Key: priv}, nil
}

func checkKeyName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("firmware: key name %q: want 1..64 characters", name)
	}
	for _, c := range name {
		if c <= ' ' || c == '+' || c > '~' {
			return fmt.Errorf("firmware: key name %q: only printable ASCII without spaces or '+'", name)
		}
	}
	return nil
}

// Key files are one line of text:
//
//	public:  NAME+KEYID+BASE64(32-byte ed25519 public key)
//	private: PRIVATE+NAME+KEYID+BASE64(32-byte ed25519 seed)
//
// KEYID is 16 lower-case hex digits; readers check it against the key.
const privatePrefix = "PRIVATE+"

// MarshalText encodes the public key file line (without newline).
func (k *PublicKey) MarshalText() ([]byte, error) {
	if err := checkKeyName(k.Name); err != nil {
		return nil, err
	}
	if len(k.Key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("firmware: public key of %d bytes", len(k.Key))
	}
	return []byte(k.Name + "+" + k.KeyID().String() + "+" + base64.StdEncoding.EncodeToString(k.Key)), nil
}

// MarshalText encodes the private key file line (without newline).
func (k *PrivateKey) MarshalText() ([]byte, error) {
	if err := checkKeyName(k.Name); err != nil {
		return nil, err
	}
	if len(k.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("firmware: private key of %d bytes", len(k.Key))
	}
	return []byte(privatePrefix + k.Name + "+" + k.KeyID().String() + "+" + base64.StdEncoding.EncodeToString(k.Key.Seed())), nil
}

// splitKey splits NAME+KEYID+BASE64 and decodes the key bytes.
func splitKey(line string, size int) (name string, id KeyID, key []byte, err error) {
	parts := strings.SplitN(strings.TrimSpace(line), "+", 3) // base64 may contain "+"
	if len(parts) != 3 {
		return "", id, nil, fmt.Errorf("firmware: key line: want NAME+KEYID+KEY: %w", ErrMalformed)
	}
	name = parts[0]
	if err := checkKeyName(name); err != nil {
		return "", id, nil, err
	}
	h, err := hex.DecodeString(parts[1])
	if err != nil || len(h) != KeyIDSize {
		return "", id, nil, fmt.Errorf("firmware: key %q: bad key id %q: %w", name, parts[1], ErrMalformed)
	}
	copy(id[:], h)
	key, err = base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != size {
		return "", id, nil, fmt.Errorf("firmware: key %q: bad key bytes: %w", name, ErrMalformed)
	}
	return name, id, key, nil
}

// ParsePublicKey decodes a public key line.
func ParsePublicKey(line string) (*PublicKey, error) {
	if strings.HasPrefix(line, privatePrefix) {
		return nil, fmt.Errorf("firmware: this is a private key, not a public one: %w", ErrMalformed)
	}
	name, id, key, err := splitKey(line, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	k := &PublicKey{Name: name, Key: ed25519.PublicKey(key)}
	if k.KeyID() != id {
		return nil, fmt.Errorf("firmware: key %q: id %s does not match the key (%s): %w", name, id, k.KeyID(), ErrMalformed)
	}
	return k, nil
}

// ParsePrivateKey decodes a private key line.
func ParsePrivateKey(line string) (*PrivateKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), privatePrefix)
	if !ok {
		return nil, fmt.Errorf("firmware: not a private key (no %q prefix): %w", privatePrefix, ErrMalformed)
	}
	name, id, seed, err := splitKey(rest, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	k := &PrivateKey{Name: name, Key: ed25519.NewKeyFromSeed(seed)}
	if k.KeyID() != id {
		return nil, fmt.Errorf("firmware: key %q: id %s does not match the key: %w", name, id, ErrMalformed)
	}
	return k, nil
}

// WriteKeyPair writes base+".key" (mode 0600) and base+".pub" (mode 0644).
// It refuses to overwrite an existing file.
func WriteKeyPair(base string, k *PrivateKey) error {
	priv, err := k.MarshalText()
	if err != nil {
		return err
	}
	pub, err := k.Public().MarshalText()
	if err != nil {
		return err
	}
	if err := writeNew(base+".key", append(priv, '\n'), 0o600); err != nil {
		return err
	}
	if err := writeNew(base+".pub", append(pub, '\n'), 0o644); err != nil {
		os.Remove(base + ".key")
		return err
	}
	return nil
}

func writeNew(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("firmware: write %s: %w", name, err)
	}
	return nil
}

// ReadPrivateKey reads a private key file. It refuses a file that others
// can read or write.
func ReadPrivateKey(name string) (*PrivateKey, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("firmware: private key %s has mode %v; want 0600", name, st.Mode().Perm())
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	k, err := ParsePrivateKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, name)
	}
	return k, nil
}

// TrustStore is a set of public keys a device accepts signatures from. It
// implements Verifiers.
type TrustStore struct {
	keys map[KeyID]*PublicKey
}

// NewTrustStore returns a store holding keys.
func NewTrustStore(keys ...*PublicKey) *TrustStore {
	ts := &TrustStore{keys: make(map[KeyID]*PublicKey)}
	for _, k := range keys {
		ts.keys[k.KeyID()] = k
	}
	return ts
}

// Verifier implements Verifiers.
func (ts *TrustStore) Verifier(id KeyID) (Verifier, error) {
	if ts == nil {
		return nil, &UnknownKeyError{KeyIDs: []KeyID{id}}
	}
	if k, ok := ts.keys[id]; ok {
		return k, nil
	}
	return nil, &UnknownKeyError{KeyIDs: []KeyID{id}}
}

// Keys lists the keys sorted by name then id.
func (ts *TrustStore) Keys() []*PublicKey {
	out := make([]*PublicKey, 0, len(ts.keys))
	for _, k := range ts.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		a, b := out[i].KeyID(), out[j].KeyID()
		return bytes.Compare(a[:], b[:]) < 0
	})
	return out
}

// LoadTrustStore reads public keys from files and directories. A directory
// contributes every *.pub file in it (not recursively); a file holds one key
// per line, with blank lines and lines starting with '#' ignored.
func LoadTrustStore(paths ...string) (*TrustStore, error) {
	ts := NewTrustStore()
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("firmware: trust store: %w", err)
		}
		files := []string{p}
		if st.IsDir() {
			files, err = filepath.Glob(filepath.Join(p, "*.pub"))
			if err != nil {
				return nil, fmt.Errorf("firmware: trust store: %w", err)
			}
		}
		for _, f := range files {
			if err := ts.loadFile(f); err != nil {
				return nil, err
			}
		}
	}
	return ts, nil
}

func (ts *TrustStore) loadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("firmware: trust store: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := ParsePublicKey(line)
		if err != nil {
			return fmt.Errorf("%w (%s:%d)", err, name, n)
		}
		ts.keys[k.KeyID()] = k
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("firmware: trust store %s: %w", name, err)
	}
	return nil
}
