package recorded

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// vtestAVI is real fixed-camera video from Debian's opencv-doc.
const vtestAVI = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"

func needData(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

// TestRealVideoFramesPGMAndPNG decodes the first frames of vtest.avi with
// ffmpeg to PGM and PNG sequences and reads both back as directories.
func TestRealVideoFramesPGMAndPNG(t *testing.T) {
	if _, err := os.Stat(vtestAVI); err != nil {
		needData(t, "opencv-doc's vtest.avi (Debian opencv-doc)", err)
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		needData(t, "ffmpeg (Debian ffmpeg)", err)
	}
	for _, ext := range []string{"pgm", "png"} {
		dir := t.TempDir()
		cmd := exec.Command(ffmpeg, "-loglevel", "error", "-i", vtestAVI, "-frames:v", "5",
			"-pix_fmt", "gray", filepath.Join(dir, "%06d."+ext))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		d, err := OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() != 5 || d.Kind() != sensors.KindCamera {
			t.Fatalf("%s: %d frames of %v", ext, d.Len(), d.Kind())
		}
		f, err := d.Read(4)
		if err != nil {
			t.Fatal(err)
		}
		im := f.(*sensors.Image)
		if im.Width != 768 || im.Height != 576 || im.Format != sensors.Gray8 {
			t.Errorf("%s: %dx%d %v", ext, im.Width, im.Height, im.Format)
		}
		// A real scene: not one flat grey.
		lo, hi := byte(255), byte(0)
		for _, v := range im.Pix {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo < 100 {
			t.Errorf("%s: grey levels %d–%d", ext, lo, hi)
		}
	}
}
