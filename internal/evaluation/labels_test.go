package evaluation

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/training"
)

func TestSeveritySuffix(t *testing.T) {
	for in, want := range map[string]string{"fog_s2": "fog 2", "gaussian_noise-s3": "gaussian_noise 3", "fog_sev1": "fog 1", "fog": ""} {
		g := sevSuffix.FindStringSubmatch(in)
		got := ""
		if g != nil {
			got = g[1] + " " + g[2]
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// FuzzParseLabels: labels files are user input; no panic on any bytes.
func FuzzParseLabels(f *testing.F) {
	f.Add([]byte("sensor,frame,file,stamp,fault,severity,altered\ncam0,0,cam0/000000.png,2026-01-01 00:00:00.000000000,none,0,false\ncam0,1,cam0/000001.png,x,fog,2,true\n"))
	f.Add([]byte("file,fault,severity\n000000.png,fog,1\n"))
	f.Add([]byte("file,fault\n"))
	f.Add([]byte("file,fault,severity\n\"unterminated"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseLabels(bytes.NewReader(b))
		if err == nil {
			for _, d := range m {
				for _, l := range d {
					if l.Severity < 0 || l.Severity > 3 {
						t.Fatalf("severity %d accepted", l.Severity)
					}
				}
			}
		}
	})
}

func TestParseLabels(t *testing.T) {
	m, err := parseLabels(strings.NewReader("sensor,frame,file,stamp,fault,severity,altered\ncam0,0,cam0/000000.png,s,none,0,false\ncam0,1,cam0/000001.png,s,fog,2,true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l := m["cam0"]["000001.png"]; l.Fault != "fog" || l.Severity != 2 || !l.Altered {
		t.Fatalf("%+v", l)
	}
	if l := m["cam0"]["000000.png"]; l.Fault != "none" || l.Altered {
		t.Fatalf("%+v", l)
	}
	if _, err := parseLabels(strings.NewReader("file,fault,severity\na.png,fog,9\n")); err == nil {
		t.Fatal("severity 9 accepted")
	}
}

func TestLabelsFor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fog_s2")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := training.Recording{Dir: dir, Names: []string{"000000.png", "000001.png"}}
	// No labels anywhere: the directory's name.
	got, err := LabelsFor(r, nil)
	if err != nil || len(got) != 2 || got[1] != (Label{Fault: "fog", Severity: 2, Altered: true}) {
		t.Fatalf("from the name: %+v, %v", got, err)
	}
	// The directory's own labels file.
	own := "file,fault,severity,altered\n000000.png,none,0,false\n000001.png,fog,3,true\n"
	if err := os.WriteFile(filepath.Join(dir, LabelsFile), []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = LabelsFor(r, nil)
	if err != nil || got[0].Fault != "none" || got[1].Severity != 3 {
		t.Fatalf("from its file: %+v, %v", got, err)
	}
	// A shared file wins, by the directory's base name.
	shared, err := parseLabels(strings.NewReader("file,fault,severity\nfog_s2/000000.png,dust,1\nfog_s2/000001.png,dust,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err = LabelsFor(r, shared); err != nil || got[0].Fault != "dust" {
		t.Fatalf("from the shared file: %+v, %v", got, err)
	}
	r.Names = append(r.Names, "000002.png")
	if _, err := LabelsFor(r, shared); err == nil || !strings.Contains(err.Error(), "no row for 000002.png") {
		t.Fatalf("missing row: %v", err)
	}
}
