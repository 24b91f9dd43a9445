package likelihood

import (
	"errors"

	"github.com/sensortrust/trustagent/sensors"
)

// Scorer is the pipeline's scorer stage: one frame in, one score out,
// higher = less trustworthy.
//
// Frames of one stream are passed to Score in arrival order, from one
// goroutine; a Scorer may remember the previous frame (its statistics compare
// consecutive frames) and Reset forgets it, for example after a gap or a
// source restart. Score returns an error wrapping ErrWrongKind for a frame of
// another sensor kind and ErrBadFrame for a frame it cannot read (a malformed
// image); it never panics. The same sequence of frames after Reset (or on a
// fresh Scorer of the same model) gives the same scores.
type Scorer interface {
	Kind() sensors.Kind
	Score(f sensors.Frame) (float64, error)
	Reset()
}

// ScoreMode says what FixedScorer reports.
type ScoreMode uint8

// Score modes.
const (
	// ScoreRegretAndStats (the default when the representation carries
	// statistics): the largest of three robust z-scores, each centred and
	// scaled by its median and MAD on clean validation frames (or by its
	// clean tail: Model.WithPartScales): the
	// approximated regret; the residual ½Σ Λᵢ(xᵢ − x̂ᵢ)² of the statistic
	// inputs at the re-fitted posterior mean; and the importance-weighted
	// NLL at the re-fitted posterior. The last two are what the re-fit still
	// cannot explain, which the regret cancels by construction (anything
	// the decoder cannot produce for any z). Format-3 models carry no
	// centre and scale for the third part and combine the first two.
	ScoreRegretAndStats ScoreMode = iota
	// ScoreRegret: the approximated Likelihood Regret alone, in nats.
	ScoreRegret
)

func (m ScoreMode) String() string {
	if m == ScoreRegret {
		return "regret"
	}
	return "regret+stats"
}

// Errors callers act on (wrapped; test with errors.Is).
var (
	// ErrWrongKind: the frame or model is for another sensor kind.
	ErrWrongKind = errors.New("wrong sensor kind")
	// ErrBadFrame: the frame cannot be read (nil, malformed geometry).
	ErrBadFrame = errors.New("malformed frame")
	// ErrBadModel: model bytes are corrupt, truncated or inconsistent.
	ErrBadModel = errors.New("malformed model")
)
