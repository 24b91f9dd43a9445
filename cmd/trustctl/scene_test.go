package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// TestSceneWritesTheDrive writes more frames than one chunk from the
// middle of a drive and reads them back: the frames and stamps are those
// of the scene's drive made in one piece.
func TestSceneWritesTheDrive(t *testing.T) {
	const start, n = 7, scenes.Chunk + 5
	out := filepath.Join(t.TempDir(), "cam")
	code, stdout, stderr := runCmd(t, "scene", "--name", "sim-world9", "--sensor", "camera", "--out", out,
		"--start", "7", "--frames", "205", "--width", "32", "--height", "24")
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(stdout, "wrote 205 camera frames of sim-world9") {
		t.Errorf("stdout %q", stdout)
	}
	want, err := scenes.SimScene(sensors.KindCamera, 9).Drive(context.Background(), scenes.DriveOptions{Frames: n, Start: start, Width: 32, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	d, err := recorded.OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != n {
		t.Fatalf("%d frames written, want %d", d.Len(), n)
	}
	for i := range n {
		f, err := d.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		got, w := f.(*sensors.Image), want.Frames[i].(*sensors.Image)
		if !bytes.Equal(got.Pix, w.Pix) || got.Width != w.Width || got.Height != w.Height {
			t.Fatalf("frame %d: pixels differ from the drive's", i)
		}
		if !got.Stamp.Equal(w.Stamp) {
			t.Fatalf("frame %d: stamp %v, the drive's %v", i, got.Stamp, w.Stamp)
		}
	}

	// The same directory again: a recording is never overwritten.
	if code, _, stderr := runCmd(t, "scene", "--name", "sim-world9", "--sensor", "camera", "--out", out, "--frames", "2"); code == 0 {
		t.Error("wrote over an existing recording")
	} else if !strings.Contains(stderr, "already holds a recording") {
		t.Errorf("stderr %q", stderr)
	}
}

// TestSceneLidar writes a few LiDAR revolutions of a world the catalogue
// does not list, as KITTI scans the LiDAR tools read.
func TestSceneLidar(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lidar")
	if code, _, stderr := runCmd(t, "scene", "--name", "sim-world41", "--sensor", "lidar", "--out", out, "--frames", "3"); code != 0 {
		t.Fatal(stderr)
	}
	d, err := recorded.OpenDir(out, recorded.DirOptions{Model: recorded.ModelVLP16})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Kind() != sensors.KindLidar {
		t.Fatalf("%d frames of %v", d.Len(), d.Kind())
	}
	f, err := d.Read(2)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.(*sensors.Scan).Points); n < 10000 {
		t.Errorf("%d points in a revolution", n)
	}
}

func TestSceneList(t *testing.T) {
	code, stdout, stderr := runCmd(t, "scene", "--list", "--sensor", "camera")
	if code != 0 {
		t.Fatal(stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "scene ") || !strings.Contains(stdout, "sim-world1 ") || !strings.Contains(stdout, "sim-world<N>") {
		t.Errorf("list:\n%s", stdout)
	}
	if strings.Contains(stdout, " lidar ") {
		t.Errorf("--sensor camera lists LiDAR scenes:\n%s", stdout)
	}
}

func TestSceneRefusesBadArguments(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out}, "--name and --out are required"},
		{[]string{"--name", "sim-world1"}, "--name and --out are required"},
		{[]string{"--name", "sim-world1", "--out", out}, "give --sensor lidar or --sensor camera"},
		{[]string{"--name", "sim-world0", "--sensor", "camera", "--out", out}, `no scene "sim-world0"`},
		{[]string{"--name", "no-such-scene", "--out", out}, `no scene "no-such-scene"`},
		{[]string{"--name", "sim-world1", "--sensor", "radar", "--out", out}, "want lidar or camera"},
		{[]string{"--name", "sim-world1", "--sensor", "camera", "--out", out, "--frames", "0"}, "want more than 0 frames"},
		{[]string{"--name", "sim-world1", "--sensor", "camera", "--out", out, "--start", "-1"}, "want more than 0 frames from 0 or later"},
		{[]string{"--name", "sim-world1", "--sensor", "camera", "--out", out, "--width", "4"}, "camera size"},
	} {
		code, _, stderr := runCmd(t, append([]string{"scene"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
