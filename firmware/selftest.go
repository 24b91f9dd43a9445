package firmware

import (
	"context"
	"fmt"
)

// Prober scores one probe input with a loaded model. The scorer's
// *likelihood.Model satisfies it; so does the agent's health model.
type Prober interface {
	ScoreProbe(input []byte) (int64, error)
}

// Loader turns a model section payload into a Prober. The device passes
// one that knows the model types it runs; the Store keeps what it returns
// (Active.Models), so the agent can type-assert back to its model type
// instead of decoding twice.
type Loader interface {
	Load(t SectionType, payload []byte) (Prober, error)
}

// LoaderFunc adapts a function to Loader.
type LoaderFunc func(t SectionType, payload []byte) (Prober, error)

// Load implements Loader.
func (f LoaderFunc) Load(t SectionType, payload []byte) (Prober, error) { return f(t, payload) }

// SelfTest loads every model section of b with l and runs every probe
// through its model; each must reproduce its recorded score exactly. Every
// model section needs at least one probe, so no model goes untested. It
// returns the loaded models, keyed by section type.
func SelfTest(ctx context.Context, b *Bundle, l Loader) (map[SectionType]Prober, error) {
	probes, err := b.Probes()
	if err != nil {
		return nil, err
	}
	models := make(map[SectionType]Prober)
	for _, s := range b.Sections {
		if !s.Type.IsModel() {
			continue
		}
		m, err := l.Load(s.Type, s.Data)
		if err != nil {
			return nil, &SelfTestError{Probe: -1, Section: s.Type, Err: fmt.Errorf("load: %w", err)}
		}
		models[s.Type] = m
	}
	if len(models) == 0 {
		return nil, &SelfTestError{Probe: -1, Err: fmt.Errorf("bundle holds no model section")}
	}
	tested := make(map[SectionType]bool)
	for i, p := range probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, ok := models[p.Section]
		if !ok {
			return nil, &SelfTestError{Probe: i, Section: p.Section, Want: p.Score, Err: fmt.Errorf("no %s model in the bundle", p.Section)}
		}
		got, err := m.ScoreProbe(p.Input)
		if err != nil {
			return nil, &SelfTestError{Probe: i, Section: p.Section, Want: p.Score, Err: err}
		}
		if got != p.Score {
			return nil, &SelfTestError{Probe: i, Section: p.Section, Want: p.Score, Got: got}
		}
		tested[p.Section] = true
	}
	for t := range models {
		if !tested[t] {
			return nil, &SelfTestError{Probe: -1, Section: t, Err: fmt.Errorf("no probe exercises the %s model", t)}
		}
	}
	return models, nil
}
