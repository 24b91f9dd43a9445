package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/sensortrust/trustagent/sensors/faults"
)

// TestGallery renders every picture into a temporary directory: one PNG per
// catalogue entry, decodable, and small enough for the docs (< 3 MB total).
func TestGallery(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 33 pictures")
	}
	dir := t.TempDir()
	if err := run(dir, 1); err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, sp := range faults.Catalogue() {
		path := filepath.Join(dir, sp.Class.String()+"_"+sp.Name+".png")
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", sp.Name, err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 300 || cfg.Height < 100 {
			t.Errorf("%s: %v %dx%d", path, err, cfg.Width, cfg.Height)
		}
		fi, _ := os.Stat(path)
		total += fi.Size()
	}
	if total > 3<<20 {
		t.Errorf("pictures take %d bytes, want < 3 MB", total)
	}
}
