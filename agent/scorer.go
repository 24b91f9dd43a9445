package agent

import "github.com/sensortrust/trustagent/sensors"

// Scorer is the frame-scoring stage: it returns a score for one frame,
// higher meaning less like the clean data the model was trained on, on the
// scale of the threshold it was calibrated with (for the product's default,
// the approximated likelihood regret of package likelihood).
//
// A Scorer is called from one goroutine only (the sensor's worker), one frame
// at a time and in arrival order, so it may keep scratch state. It must not
// keep f after returning. An error means this frame could not be scored
// (reported as scorer_error); it does not stop the pipeline.
type Scorer interface {
	Score(f sensors.Frame) (float64, error)
}

// ScorerFunc adapts a function to Scorer.
type ScorerFunc func(f sensors.Frame) (float64, error)

// Score implements Scorer.
func (fn ScorerFunc) Score(f sensors.Frame) (float64, error) { return fn(f) }
