package faults

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// TestWrapRecordedSource augments a recording while it is replayed: frames
// written with recorded.DirWriter, replayed by recorded.Source, faulted by
// Wrap under a scenario.
func TestWrapRecordedSource(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cam0")
	w, err := recorded.NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range rangeFramesAsImages(12) {
		if err := w.Write(f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := recorded.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := recorded.NewSource(d, recorded.SourceOptions{Pacing: recorded.PaceFast})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseScenario([]byte("- {at: 300ms, for: 500ms, sensor: cam0, fault: black_frame, severity: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := Wrap(src, sc, WrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []*sensors.Image
	err = wrapped.Run(context.Background(), func(f sensors.Frame) { got = append(got, f.(*sensors.Image)) })
	if err != nil && !errors.Is(err, sensors.ErrNoData) {
		t.Fatal(err)
	}
	if len(got) != 12 {
		t.Fatalf("%d frames", len(got))
	}
	for i, im := range got {
		black := true
		for _, v := range im.Pix {
			if v != 0 {
				black = false
				break
			}
		}
		if want := i >= 3 && i < 8; black != want {
			t.Errorf("frame %d black = %v, want %v", i, black, want)
		}
	}
}

// rangeFramesAsImages returns n small non-black images stamped 100 ms apart.
func rangeFramesAsImages(n int) []sensors.Frame {
	var out []sensors.Frame
	for i, f := range rangeFrames(n, period) {
		im := constImage(8, 6, byte(20+i))
		im.Header = *f.Head()
		im.Sensor = "cam0"
		out = append(out, im)
	}
	return out
}
