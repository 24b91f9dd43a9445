package velodynetest

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// EinrideModule is the pinned module holding the VLP-16 recordings.
const EinrideModule = "go.einride.tech/vlp16@v0.7.0"

// MRPTRawlog is where Debian's mrpt-common installs the VLP-16 rawlog.
const MRPTRawlog = "/usr/share/mrpt/datasets/test_velodyne_VLP16.rawlog"

// missing skips the test, or fails it under CI=true.
func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// EinrideFile returns the bytes of testdata/name of the einride module,
// downloading the module into the module cache through the go command.
func EinrideFile(tb testing.TB, name string) []byte {
	tb.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gobin, "mod", "download", "-json", EinrideModule)
	cmd.Dir = tb.TempDir() // outside any module: go.mod stays untouched
	out, err := cmd.Output()
	if err != nil {
		missing(tb, "velodynetest: go mod download %s: %v", EinrideModule, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		missing(tb, "velodynetest: go mod download %s: %s %v", EinrideModule, info.Error, err)
	}
	b, err := os.ReadFile(filepath.Join(info.Dir, "testdata", name))
	if err != nil {
		missing(tb, "velodynetest: %v", err)
	}
	return b
}

// MRPTPayloads returns the 1,206-byte payloads found in the MRPT rawlog:
// every offset where 12 0xFFEE block flags lie 100 bytes apart.
func MRPTPayloads(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open(MRPTRawlog)
	if err != nil {
		missing(tb, "velodynetest: %v (install the Debian package mrpt-common)", err)
	}
	defer f.Close()
	var raw []byte
	if zr, err := gzip.NewReader(f); err == nil {
		raw, err = io.ReadAll(zr)
		if err != nil {
			tb.Fatalf("velodynetest: %s: %v", MRPTRawlog, err)
		}
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			tb.Fatal(err)
		}
		if raw, err = io.ReadAll(f); err != nil {
			tb.Fatal(err)
		}
	}
	return ScanPayloads(raw)
}

// ScanPayloads finds payloads in arbitrary bytes by their block flags.
func ScanPayloads(raw []byte) [][]byte {
	var out [][]byte
	for i := 0; i+1206 <= len(raw); {
		ok := true
		for k := 0; k < 12; k++ {
			if raw[i+100*k] != 0xFF || raw[i+100*k+1] != 0xEE {
				ok = false
				break
			}
		}
		if !ok {
			i++
			continue
		}
		out = append(out, raw[i:i+1206:i+1206])
		i += 1206
	}
	return out
}

// Payload builds a synthetic strongest-return VLP-16 payload: block k at
// azimuth az0 + k·step (hundredths of a degree, wrapped), every channel at
// distance dist (2 mm units) and reflectivity refl, timestamp ts µs.
func Payload(az0, step int, dist uint16, refl uint8, ts uint32) []byte {
	b := make([]byte, 1206)
	for k := 0; k < 12; k++ {
		blk := b[100*k:]
		blk[0], blk[1] = 0xFF, 0xEE
		binary.LittleEndian.PutUint16(blk[2:], uint16(((az0+k*step)%36000+36000)%36000))
		for c := 0; c < 32; c++ {
			binary.LittleEndian.PutUint16(blk[4+3*c:], dist)
			blk[6+3*c] = refl
		}
	}
	binary.LittleEndian.PutUint32(b[1200:], ts)
	b[1204], b[1205] = 0x37, 0x22
	return b
}
