package recordedtest

import (
	"testing"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// WriteDir writes frames into dir as a recording (one file per frame and
// timestamps.txt) and returns dir; any error fails the test.
func WriteDir(tb testing.TB, dir string, frames []sensors.Frame) string {
	tb.Helper()
	w, err := recorded.NewDirWriter(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for i, f := range frames {
		if err := w.Write(f); err != nil {
			tb.Fatalf("recordedtest: frame %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return dir
}
