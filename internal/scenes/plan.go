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
	byName, missing := catalogueByName(ctx, p)
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

// AlarmSeed is the drive seed of a plan's first alarm scene (the next
// scenes take the next seeds): a path of the virtual sensor that the
// plan's training drives (seed 0, the scene's own) do not take, so the
// alarms see views of the scene that the model never trained on.
const AlarmSeed = 1000

// PlanAlarmRuns are the clean drives of a plan's AlarmScenes that
// training.PlanAlarms sets the alarms on beside the alarm worlds:
// p.AlarmSceneFrames frames of each, along the path of seed AlarmSeed + i
// for the i-th scene. A named scene that is not in the catalogue is an
// error, as in PlanRecordings.
func PlanAlarmRuns(ctx context.Context, p training.Plan) ([]training.Run, error) {
	if len(p.AlarmScenes) == 0 {
		return nil, nil
	}
	if p.AlarmSceneFrames <= 0 {
		return nil, fmt.Errorf("scenes: the %s plan sets alarms on %d scenes but %d frames of each", p.File, len(p.AlarmScenes), p.AlarmSceneFrames)
	}
	byName, missing := catalogueByName(ctx, p)
	var runs []training.Run
	for i, name := range p.AlarmScenes {
		s, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("scenes: the %s plan sets alarms on scene %s, which is not on this machine (%v)", p.File, name, missing)
		}
		r, err := s.Drive(ctx, DriveOptions{Frames: p.AlarmSceneFrames, Seed: uint64(AlarmSeed + i)})
		if err != nil {
			return nil, err
		}
		runs = append(runs, training.RunOf(r))
	}
	return runs, nil
}

// catalogueByName is the catalogue of the plan's sensor kind by scene name,
// and what is missing from it on this machine.
func catalogueByName(ctx context.Context, p training.Plan) (map[string]Scene, []Missing) {
	list, missing := Catalogue(ctx, p.Options.Kind)
	byName := make(map[string]Scene, len(list))
	for _, s := range list {
		byName[s.Name] = s
	}
	return byName, missing
}
