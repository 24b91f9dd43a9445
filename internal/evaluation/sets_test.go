package evaluation

import (
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// everyOther alters every second frame, holds one back and releases it on
// Flush.
type everyOther struct {
	n    int
	held sensors.Frame
}

func (e *everyOther) Inject(in sensors.Frame) []sensors.Frame {
	e.n++
	if e.n == 1 {
		e.held = in
		return nil
	}
	if e.n%2 == 0 {
		c := *(in.(*sensors.Image))
		return []sensors.Frame{&c}
	}
	return []sensors.Frame{in}
}

func (e *everyOther) Flush() []sensors.Frame { return []sensors.Frame{e.held} }

func TestFaultStream(t *testing.T) {
	var frames []sensors.Frame
	for range 10 {
		frames = append(frames, &sensors.Image{})
	}
	out, altered, lead := FaultStream(frames, &everyOther{})
	if lead != 2 || len(out) != 10 || len(altered) != 10 {
		t.Fatalf("lead %d, %d frames, %d flags", lead, len(out), len(altered))
	}
	for i := range lead {
		if out[i] != frames[i] || altered[i] {
			t.Fatalf("lead-in frame %d changed", i)
		}
	}
	// Frames released by Flush count as altered: they come late.
	want := []bool{false, false, true, false, true, false, true, false, true, true}
	for i := range want {
		if altered[i] != want[i] {
			t.Fatalf("altered %v, want %v", altered, want)
		}
	}
	if out[9] != frames[2] {
		t.Fatal("flushed frame is not the held one")
	}
}
