package firmware

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
)

// signingContext separates bundle signatures from any other use of a key.
const signingContext = "trustagent bundle signature v1\x00"

// signedMessage is what a signature covers: the context string followed by
// the content bytes (header, model id and sections; not the trailer).
func signedMessage(content []byte) []byte {
	m := make([]byte, 0, len(signingContext)+len(content))
	return append(append(m, signingContext...), content...)
}

// Sign appends a signature by s to an encoded bundle and returns the new
// bytes. The bundle must parse and its hash must match; existing signatures
// are kept. Signing twice with the same key replaces the earlier signature.
func Sign(data []byte, s Signer) ([]byte, error) {
	b, content, err := parse(data)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(signedMessage(content))
	if err != nil {
		return nil, fmt.Errorf("firmware: sign: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("firmware: signer returned %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	ns := Signature{KeyID: s.KeyID()}
	copy(ns.Sig[:], sig)
	sigs := make([]Signature, 0, len(b.Signatures)+1)
	for _, old := range b.Signatures {
		if old.KeyID != ns.KeyID {
			sigs = append(sigs, old)
		}
	}
	sigs = append(sigs, ns)
	if len(sigs) > MaxSignatures {
		return nil, fmt.Errorf("firmware: already %d signatures, at most %d: %w", len(b.Signatures), MaxSignatures, ErrMalformed)
	}
	return appendTrailer(content, b.digest, sigs), nil
}

// SignatureCheck is the outcome for one signature of a bundle.
type SignatureCheck struct {
	KeyID KeyID
	Name  string // key name from the trust store; "" for an unknown key
	Err   error  // nil: verified; *UnknownKeyError or *SignatureError otherwise
}

// CheckSignatures reports on every signature of data without applying a
// policy; inspect tools use it. data must parse.
func CheckSignatures(data []byte, v Verifiers) ([]SignatureCheck, error) {
	b, content, err := parse(data)
	if err != nil {
		return nil, err
	}
	return checkSigs(b, content, v), nil
}

func checkSigs(b *Bundle, content []byte, v Verifiers) []SignatureCheck {
	msg := signedMessage(content)
	out := make([]SignatureCheck, 0, len(b.Signatures))
	for _, s := range b.Signatures {
		c := SignatureCheck{KeyID: s.KeyID}
		var ver Verifier
		if v != nil {
			ver, c.Err = v.Verifier(s.KeyID)
		} else {
			c.Err = &UnknownKeyError{KeyIDs: []KeyID{s.KeyID}}
		}
		if c.Err == nil {
			if pk, ok := ver.(*PublicKey); ok {
				c.Name = pk.Name
			}
			if !ver.Verify(msg, s.Sig[:]) {
				c.Err = &SignatureError{KeyID: s.KeyID}
			}
		}
		out = append(out, c)
	}
	return out
}

// SignaturePolicy says whether a device accepts unsigned bundles.
type SignaturePolicy uint8

const (
	// RequireSigned accepts a bundle only with at least one valid signature
	// by a trusted key. The default, and the only setting for production.
	RequireSigned SignaturePolicy = iota
	// AllowUnsigned is development mode: a bundle without signatures is
	// accepted. A bundle that does carry signatures is still checked.
	AllowUnsigned
)

func (p SignaturePolicy) String() string {
	if p == AllowUnsigned {
		return "allow-unsigned"
	}
	return "require-signed"
}

// UnknownKeyPolicy says what to do with a signature by a key the trust
// store does not hold.
type UnknownKeyPolicy uint8

const (
	// RejectUnknownKeys refuses a bundle with any signature by an unknown
	// key. The default: then every byte of a bundle, the signature trailer
	// included, is checked, and a single flipped byte anywhere is refused.
	RejectUnknownKeys UnknownKeyPolicy = iota
	// IgnoreUnknownKeys skips such signatures, so one bundle can carry
	// signatures for several fleets or across a key rotation. Alterations of
	// an ignored signature then go unnoticed (they do not change what is
	// installed).
	IgnoreUnknownKeys
)

// Policy is what a device checks before it installs a bundle.
type Policy struct {
	Trust       Verifiers        // trusted keys; nil trusts none
	Signatures  SignaturePolicy  // RequireSigned unless in development
	UnknownKeys UnknownKeyPolicy // RejectUnknownKeys unless bundles carry signatures for other fleets
	Kind        sensors.Kind     // the device's sensor; KindUnknown skips the check
	Installed   uint64           // version installed now; 0 when none. The offered version must be greater.
}

// Verify parses a bundle and applies the policy, in this order: structure
// and format version, content hash, signatures, sensor kind, version. It
// returns the bundle and the ids of the trusted keys whose signatures
// verified.
//
// Signature rules: every signature by a trusted key must verify (else
// *SignatureError); a signature by an unknown key is refused with
// *UnknownKeyError unless the policy ignores unknown keys; at least one
// trusted signature is required (else *UnknownKeyError, or ErrUnsigned
// when there are none) unless the policy allows unsigned bundles and there
// are no signatures.
func Verify(data []byte, p Policy) (*Bundle, []KeyID, error) {
	b, content, err := parse(data)
	if err != nil {
		return nil, nil, err
	}
	var (
		good    []KeyID
		unknown []KeyID
	)
	for _, c := range checkSigs(b, content, p.Trust) {
		var uk *UnknownKeyError
		switch {
		case c.Err == nil:
			good = append(good, c.KeyID)
		case errors.As(c.Err, &uk):
			unknown = append(unknown, c.KeyID)
		default:
			return nil, nil, c.Err
		}
	}
	switch {
	case len(unknown) > 0 && p.UnknownKeys != IgnoreUnknownKeys:
		return nil, nil, &UnknownKeyError{KeyIDs: unknown}
	case len(good) > 0:
	case len(unknown) > 0:
		return nil, nil, &UnknownKeyError{KeyIDs: unknown}
	case p.Signatures != AllowUnsigned:
		return nil, nil, fmt.Errorf("firmware: %w bundle refused", ErrUnsigned)
	}
	if p.Kind != sensors.KindUnknown && b.Kind != p.Kind {
		return nil, nil, &SensorError{Want: p.Kind, Got: b.Kind}
	}
	if b.Version <= p.Installed {
		return nil, nil, &DowngradeError{Installed: p.Installed, Offered: b.Version}
	}
	return b, good, nil
}
