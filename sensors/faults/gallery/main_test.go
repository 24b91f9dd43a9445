package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/sensortrust/trustagent/sensors/faults"
)

// TestGallery renders one picture of each class (the full set takes a few
// seconds, minutes under -race or qemu) and checks they decode.
func TestGallery(t *testing.T) {
	dir := t.TempDir()
	names := []string{"beam_missing", "defocus_blur", "out_of_order"}
	if err := run(dir, 1, names); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"lidar_beam_missing.png", "camera_defocus_blur.png", "stream_out_of_order.png"} {
		checkPNG(t, filepath.Join(dir, n))
	}
}

// TestDocsPictures checks that docs/faults holds a picture of every fault
// of the catalogue, and that together they stay under 3 MB.
func TestDocsPictures(t *testing.T) {
	docs := filepath.Join("..", "..", "..", "docs", "faults")
	total := int64(0)
	for _, sp := range faults.Catalogue() {
		path := filepath.Join(docs, sp.Class.String()+"_"+sp.Name+".png")
		total += checkPNG(t, path)
	}
	if total > 3<<20 {
		t.Errorf("docs/faults pictures take %d bytes, want < 3 MB", total)
	}
}

func checkPNG(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("%v (regenerate with go run ./sensors/faults/gallery -out docs/faults)", err)
		return 0
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 300 || cfg.Height < 100 {
		t.Errorf("%s: %v %dx%d", path, err, cfg.Width, cfg.Height)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
