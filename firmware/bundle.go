package firmware

import (
	"crypto/sha256"
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
)

// FormatVersion is the bundle format this package reads and writes.
const FormatVersion uint16 = 1

// Magic opens every bundle.
const Magic = "TABN"

// Limits of the format. They bound what a parser allocates before any
// signature has been checked.
const (
	headerSize    = 28 // fixed part of the content header, before the model id
	sectionHeader = 8  // type u16, reserved u16, length u32
	sigSize       = KeyIDSize + 64
	MaxModelID    = 255 // bytes of the model id
	MaxSignatures = 16  // signatures one bundle may carry
	MaxSections   = 256 // sections one bundle may carry
)

// SectionType says what a section holds. Readers skip types they do not
// know, so newer writers can add sections without breaking older devices.
type SectionType uint16

// Section types of format version 1.
const (
	SectionVAE         SectionType = 1 // quantised per-sensor VAE (the scorer's MarshalBinary)
	SectionHealth      SectionType = 2 // health autoencoder (the agent's MarshalBinary)
	SectionCalibration SectionType = 3 // Calibration
	SectionMetadata    SectionType = 4 // Metadata (training provenance)
	SectionProbes      SectionType = 5 // []Probe with recorded integer scores
)

func (t SectionType) String() string {
	switch t {
	case SectionVAE:
		return "vae"
	case SectionHealth:
		return "health"
	case SectionCalibration:
		return "calibration"
	case SectionMetadata:
		return "metadata"
	case SectionProbes:
		return "probes"
	}
	return fmt.Sprintf("unknown(%d)", uint16(t))
}

// Known reports whether this reader understands the section type.
func (t SectionType) Known() bool { return t >= SectionVAE && t <= SectionProbes }

// IsModel reports whether the section holds a model that probes run through.
func (t SectionType) IsModel() bool { return t == SectionVAE || t == SectionHealth }

// Section is one typed payload of a bundle. Model payloads are opaque here.
type Section struct {
	Type SectionType
	Data []byte
}

// Signature is one ed25519 signature over a bundle's content.
type Signature struct {
	KeyID KeyID
	Sig   [64]byte
}

// Bundle is a decoded model bundle. Build one by filling the fields and
// calling MarshalBinary (which writes it unsigned), then Sign the bytes.
type Bundle struct {
	Kind           sensors.Kind // sensor kind the models were trained for
	Representation uint16       // input representation id, defined by the scorer
	ModelID        string       // 1..255 bytes naming the model lineage
	Version        uint64       // >= 1; a device only installs a newer version
	Sections       []Section    // in file order, unknown types included
	Signatures     []Signature  // as found in the trailer

	digest [sha256.Size]byte // SHA-256 of the content, set by Parse and MarshalBinary
}

// Section returns the payload of the first section of type t.
func (b *Bundle) Section(t SectionType) ([]byte, bool) {
	for _, s := range b.Sections {
		if s.Type == t {
			return s.Data, true
		}
	}
	return nil, false
}

// SetSection replaces the section of type t, or appends it.
func (b *Bundle) SetSection(t SectionType, data []byte) {
	for i := range b.Sections {
		if b.Sections[i].Type == t {
			b.Sections[i].Data = data
			return
		}
	}
	b.Sections = append(b.Sections, Section{Type: t, Data: data})
}

// Digest returns the SHA-256 of the content (everything before the trailer)
// as last parsed or marshalled.
func (b *Bundle) Digest() [sha256.Size]byte { return b.digest }

// content encodes the signed part of the bundle.
func (b *Bundle) content() ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	n := headerSize + len(b.ModelID)
	for _, s := range b.Sections {
		n += sectionHeader + len(s.Data)
	}
	if uint64(n) > uint64(^uint32(0)) {
		return nil, fmt.Errorf("firmware: content of %d bytes exceeds the format's 4 GiB limit", n)
	}
	c := make([]byte, 0, n)
	c = append(c, Magic...)
	c = appendU16(c, FormatVersion)
	c = append(c, byte(b.Kind), 0)
	c = appendU16(c, b.Representation)
	c = appendU16(c, uint16(len(b.ModelID)))
	c = appendU32(c, uint32(n))
	c = appendU64(c, b.Version)
	c = appendU32(c, uint32(len(b.Sections)))
	c = append(c, b.ModelID...)
	for _, s := range b.Sections {
		c = appendU16(c, uint16(s.Type))
		c = appendU16(c, 0)
		c = appendU32(c, uint32(len(s.Data)))
		c = append(c, s.Data...)
	}
	return c, nil
}

// check validates the fields the writer and the reader both enforce.
func (b *Bundle) check() error {
	switch {
	case len(b.ModelID) == 0 || len(b.ModelID) > MaxModelID:
		return fmt.Errorf("firmware: model id of %d bytes, want 1..%d: %w", len(b.ModelID), MaxModelID, ErrMalformed)
	case b.Version == 0:
		return fmt.Errorf("firmware: model version 0: %w", ErrMalformed)
	case len(b.Sections) > MaxSections:
		return fmt.Errorf("firmware: %d sections, at most %d: %w", len(b.Sections), MaxSections, ErrMalformed)
	case len(b.Signatures) > MaxSignatures:
		return fmt.Errorf("firmware: %d signatures, at most %d: %w", len(b.Signatures), MaxSignatures, ErrMalformed)
	}
	seen := make(map[SectionType]bool)
	for _, s := range b.Sections {
		if s.Type.Known() && seen[s.Type] {
			return fmt.Errorf("firmware: duplicate %s section: %w", s.Type, ErrMalformed)
		}
		seen[s.Type] = true
	}
	return nil
}

// MarshalBinary encodes the bundle: content, its SHA-256 and b.Signatures.
// Signatures stay valid only if the content encodes to the same bytes it
// had when signed; Parse followed by MarshalBinary reproduces its input.
func (b *Bundle) MarshalBinary() ([]byte, error) {
	c, err := b.content()
	if err != nil {
		return nil, err
	}
	b.digest = sha256.Sum256(c)
	return appendTrailer(c, b.digest, b.Signatures), nil
}

func appendTrailer(c []byte, digest [sha256.Size]byte, sigs []Signature) []byte {
	out := make([]byte, 0, len(c)+sha256.Size+1+len(sigs)*sigSize)
	out = append(out, c...)
	out = append(out, digest[:]...)
	out = append(out, byte(len(sigs)))
	for _, s := range sigs {
		out = append(out, s.KeyID[:]...)
		out = append(out, s.Sig[:]...)
	}
	return out
}

// Parse decodes a bundle and checks its structure and content hash. It does
// not check signatures, sensor or version: Verify does, and a device must
// use Verify. Errors wrap ErrTruncated, ErrMalformed or ErrTampered, or are
// a *FormatVersionError.
func Parse(data []byte) (*Bundle, error) {
	b, _, err := parse(data)
	return b, err
}

// parse also returns the content bytes (a sub-slice of data) for signature checks.
func parse(data []byte) (*Bundle, []byte, error) {
	r := &reader{b: data}
	magic := r.take(4, "magic")
	if r.err == nil && string(magic) != Magic {
		r.fail("bad magic %q, want %q", magic, Magic)
	}
	ver := r.u16("format version")
	if r.err != nil {
		return nil, nil, r.err
	}
	if ver != FormatVersion {
		return nil, nil, &FormatVersionError{Version: ver}
	}
	b := &Bundle{}
	b.Kind = sensors.Kind(r.u8("sensor kind"))
	if res := r.u8("reserved"); res != 0 {
		r.fail("reserved header byte is %d", res)
	}
	b.Representation = r.u16("representation")
	idLen := r.u16("model id length")
	contentLen := r.u32("content length")
	b.Version = r.u64("model version")
	nsec := r.u32("section count")
	if r.err != nil {
		return nil, nil, r.err
	}
	// Bound the content before reading into it, so a bad length reads as
	// truncation or malformation rather than a huge walk.
	if uint64(contentLen) < uint64(headerSize)+uint64(idLen) {
		return nil, nil, fmt.Errorf("firmware: content length %d shorter than its header: %w", contentLen, ErrMalformed)
	}
	if uint64(contentLen) > uint64(len(data)) {
		return nil, nil, fmt.Errorf("firmware: content of %d bytes, only %d present: %w", contentLen, len(data), ErrTruncated)
	}
	if nsec > MaxSections {
		return nil, nil, fmt.Errorf("firmware: %d sections, at most %d: %w", nsec, MaxSections, ErrMalformed)
	}
	content := data[:contentLen]
	cr := &reader{b: content, off: headerSize}
	b.ModelID = cr.str(uint64(idLen), "model id")
	for i := uint32(0); i < nsec && cr.err == nil; i++ {
		t := SectionType(cr.u16("section type"))
		if res := cr.u16("section reserved"); res != 0 {
			cr.fail("section %d: reserved field is %d", i, res)
		}
		n := cr.u32("section length")
		p := cr.take(uint64(n), fmt.Sprintf("section %d (%s)", i, t))
		if cr.err == nil {
			b.Sections = append(b.Sections, Section{Type: t, Data: p})
		}
	}
	if err := cr.done("the last section"); err != nil {
		return nil, nil, err
	}
	r.off = int(contentLen)
	digest := r.take(sha256.Size, "content hash")
	nsig := r.u8("signature count")
	if r.err == nil && int(nsig) > MaxSignatures {
		r.fail("%d signatures, at most %d", nsig, MaxSignatures)
	}
	for i := 0; i < int(nsig) && r.err == nil; i++ {
		var s Signature
		copy(s.KeyID[:], r.take(KeyIDSize, "signature key id"))
		copy(s.Sig[:], r.take(64, "signature"))
		b.Signatures = append(b.Signatures, s)
	}
	if err := r.done("the last signature"); err != nil {
		return nil, nil, err
	}
	b.digest = sha256.Sum256(content)
	if string(digest) != string(b.digest[:]) {
		return nil, nil, fmt.Errorf("firmware: %w", ErrTampered)
	}
	if err := b.check(); err != nil {
		return nil, nil, err
	}
	return b, content, nil
}
