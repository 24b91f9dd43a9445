package evaluation

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// ErrOptions is wrapped by errors caused by invalid options: judge
// settings, unknown scorers.
var ErrOptions = errors.New("evaluation: invalid options")

// Line is the verdict on one frame, as `trustctl score` writes it (one
// JSON object per line). The first six fields are the stable contract
// (docs/trustctl.md); the rest are extra detail.
type Line struct {
	Frame     string         `json:"frame"`
	Score     float64        `json:"score"`
	Threshold float64        `json:"threshold"`
	Trusted   bool           `json:"trusted"`
	Level     string         `json:"level"`
	Reasons   []agent.Reason `json:"reasons"`

	Index       int      `json:"index"`
	Stamp       string   `json:"stamp"`
	Health      *float64 `json:"health,omitempty"`
	Bad         bool     `json:"bad"`
	StaleBefore float64  `json:"stale_before_s,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// LineOf is the line of one verdict on a frame stamped stamp; the caller
// fills in Frame and Index.
func LineOf(v agent.Verdict, stamp time.Time, threshold float64) Line {
	line := Line{
		Stamp: recorded.FormatStamp(stamp), Score: v.Score, Threshold: threshold,
		Level: v.Level.String(), Trusted: v.Trusted, Bad: v.Bad, Reasons: []agent.Reason{},
		StaleBefore: v.Silent.Seconds(),
	}
	if v.Reasons != nil {
		line.Reasons = append(line.Reasons, v.Reasons...)
	}
	if v.HaveHealth {
		h := v.Health.Score
		line.Health = &h
	}
	if v.ScoreErr != nil {
		line.Error = v.ScoreErr.Error()
	}
	if !v.Scored || math.IsInf(line.Score, 0) || math.IsNaN(line.Score) {
		// A frame that cannot be scored is as suspicious as it gets; JSON
		// has no infinity.
		line.Score = math.MaxFloat64
	}
	return line
}

// JudgeOptions are the daemon settings a replay takes (trustd's
// agent.stale_timeout and agent.enter_k, enter_n, clear_m).
type JudgeOptions struct {
	StaleAfter  time.Duration // 0: one second
	Persistence agent.Persistence
}

// NewReplay returns trustd's judge for the model, driven on the clock of a
// recording whose frames come every period. Its errors wrap ErrOptions.
func NewReplay(ms *modelbundle.Models, period time.Duration, o JudgeOptions) (*agent.Replay, error) {
	j, err := agent.NewJudge(agent.JudgeOptions{
		Kind: ms.VAE.Kind(), Period: period,
		Model: agent.SensorModel{
			Scorer: ms.VAE.NewFixedScorer(), Threshold: ms.VAE.Threshold(), WarnThreshold: ms.ScoreWarn, RiseLevel: ms.ScoreRise, RiseFrames: ms.RiseFrames, Health: ms.Health,
			ID: ms.Bundle.ModelID, Version: strconv.FormatUint(ms.Bundle.Version, 10),
		},
		Decision: o.Persistence,
		Stream:   agent.StreamOptions{StaleAfter: o.StaleAfter},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return agent.NewReplay(j), nil
}
