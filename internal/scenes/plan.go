package scenes

import (
	"context"
	"fmt"

	"github.com/sensortrust/trustagent/internal/training"
)

// PlanRecordings is training.PlanRecordings plus the catalogue scenes the
// plan trains on (p.Scenes, p.SceneFrames frames of each, as Drive makes
// them), after the plan's own recordings. A named scene that is not in the
// catalogue or whose source is missing is an error: the recipe would
// otherwise change with the machine.
func PlanRecordings(ctx context.Context, p training.Plan, realDir string) (train []training.Recording, held training.Recording, err error) {
	train, held, err = training.PlanRecordings(ctx, p, realDir)
	if err != nil || len(p.Scenes) == 0 {
		return train, held, err
	}
	if p.SceneFrames <= 0 {
		return nil, training.Recording{}, fmt.Errorf("scenes: the %s plan names %d scenes but %d frames of each", p.File, len(p.Scenes), p.SceneFrames)
	}
	list, missing := Catalogue(ctx, p.Options.Kind)
	byName := map[string]Scene{}
	for _, s := range list {
		byName[s.Name] = s
	}
	for _, name := range p.Scenes {
		s, ok := byName[name]
		if !ok {
			return nil, training.Recording{}, fmt.Errorf("scenes: the %s plan trains on scene %s, which is not on this machine (%v)", p.File, name, missing)
		}
		r, err := s.Drive(ctx, DriveOptions{Frames: p.SceneFrames})
		if err != nil {
			return nil, training.Recording{}, err
		}
		train = append(train, r)
	}
	return train, held, nil
}
