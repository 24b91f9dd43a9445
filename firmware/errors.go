package firmware

import (
	"errors"
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
)

// Conditions callers act on. Errors returned by this package wrap these
// (test with errors.Is) or are one of the struct types below (errors.As).
var (
	// ErrTruncated: the bytes end before the structure they describe.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: the bytes are complete but not a valid bundle (bad
	// magic, non-zero reserved field, duplicate section, trailing bytes).
	ErrMalformed = errors.New("malformed")
	// ErrTampered: the content does not match the SHA-256 recorded with it.
	ErrTampered = errors.New("content hash mismatch (tampered or corrupted)")
	// ErrUnsigned: the bundle carries no signature and the policy requires one.
	ErrUnsigned = errors.New("unsigned")
	// ErrNoModel: neither slot of a Store holds a model that verifies and
	// passes its self-test.
	ErrNoModel = errors.New("no working model installed")
)

// FormatVersionError reports a bundle written in a format version this
// reader does not support.
type FormatVersionError struct {
	Version uint16 // version found in the bundle
}

func (e *FormatVersionError) Error() string {
	return fmt.Sprintf("firmware: unsupported bundle format version %d (this reader knows %d)", e.Version, FormatVersion)
}

// SignatureError reports a signature by a trusted key that does not verify:
// the content or the signature was altered.
type SignatureError struct {
	KeyID KeyID
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("firmware: bad signature by key %s", e.KeyID)
}

// UnknownKeyError reports that a bundle is signed only by keys the trust
// store does not hold.
type UnknownKeyError struct {
	KeyIDs []KeyID
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("firmware: signed only by unknown keys %v", e.KeyIDs)
}

// SensorError reports a bundle built for another kind of sensor, or a
// host bundle (KindHost) offered to a sensor and the other way round; Want
// is sensors.KindUnknown when no sensor at all has the bundle's kind.
type SensorError struct {
	Want, Got sensors.Kind
}

func (e *SensorError) Error() string {
	switch {
	case e.Got == KindHost && e.Want == sensors.KindUnknown:
		return "firmware: bundle holds a host model, and this device takes none"
	case e.Got == KindHost:
		return fmt.Sprintf("firmware: bundle holds a host model, not a model for a %s sensor", KindName(e.Want))
	case e.Want == KindHost:
		return fmt.Sprintf("firmware: bundle is for a %s sensor, not a host model", KindName(e.Got))
	case e.Want == sensors.KindUnknown:
		return fmt.Sprintf("firmware: bundle is for a %s sensor, and no sensor here is one", KindName(e.Got))
	}
	return fmt.Sprintf("firmware: bundle is for a %s sensor, this one is a %s", KindName(e.Got), KindName(e.Want))
}

// DowngradeError reports a bundle whose version is not newer than the
// installed one.
type DowngradeError struct {
	Installed, Offered uint64
}

func (e *DowngradeError) Error() string {
	return fmt.Sprintf("firmware: bundle version %d is not newer than installed version %d", e.Offered, e.Installed)
}

// SelfTestError reports a probe whose score differs from the recorded one
// (or could not be computed).
type SelfTestError struct {
	Probe   int         // index in the probe section
	Section SectionType // model the probe ran through
	Want    int64       // recorded score
	Got     int64       // score computed here (meaningful when Err is nil)
	Err     error       // scoring or loading failure, if any
}

func (e *SelfTestError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("firmware: self-test probe %d (%s): %v", e.Probe, e.Section, e.Err)
	}
	return fmt.Sprintf("firmware: self-test probe %d (%s): score %d, recorded %d", e.Probe, e.Section, e.Got, e.Want)
}

func (e *SelfTestError) Unwrap() error { return e.Err }

// Code returns a short stable name for the condition behind err, for status
// messages and metrics labels: "truncated", "malformed", "tampered",
// "unsigned", "bad_signature", "unknown_key", "unsupported_format",
// "wrong_sensor", "downgrade", "self_test", "no_model", or "error".
func Code(err error) string {
	var (
		fv *FormatVersionError
		sg *SignatureError
		uk *UnknownKeyError
		se *SensorError
		dg *DowngradeError
		st *SelfTestError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fv):
		return "unsupported_format"
	case errors.As(err, &sg):
		return "bad_signature"
	case errors.As(err, &uk):
		return "unknown_key"
	case errors.As(err, &se):
		return "wrong_sensor"
	case errors.As(err, &dg):
		return "downgrade"
	case errors.As(err, &st):
		return "self_test"
	case errors.Is(err, ErrTampered):
		return "tampered"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, ErrUnsigned):
		return "unsigned"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrNoModel):
		return "no_model"
	}
	return "error"
}
