package firmware_test

import (
	"context"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/sensors"
)

// benchBundle is a bundle with two 512 KiB model sections, about the size
// of a deployed LiDAR VAE plus health model.
func benchBundle(b *testing.B) []byte {
	return mustBuild(b, firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "bench", Version: 2, WeightSize: 512 << 10, Probes: 4}, releaseKey)
}

func BenchmarkParse1MiB(b *testing.B) {
	data := benchBundle(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := firmware.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify1MiB(b *testing.B) {
	data := benchBundle(b)
	pol := firmware.Policy{Trust: trust(releaseKey), Kind: sensors.KindLidar, Installed: 1}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := firmware.Verify(data, pol); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign1MiB(b *testing.B) {
	unsigned, err := firmwaretest.Build(firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "bench", Version: 2, WeightSize: 512 << 10})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(unsigned)))
	for b.Loop() {
		if _, err := firmware.Sign(unsigned, releaseKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInstallDirFS is a full install on the real file system: verify,
// self-test, two atomic writes with fsync, read back, verify, self-test.
func BenchmarkInstallDirFS(b *testing.B) {
	fsys, err := firmware.OpenDirFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer fsys.Close()
	s := newStore(b, fsys, 0)
	var bundles [][]byte
	for v := uint64(1); v <= 8; v++ {
		bundles = append(bundles, mustBuild(b, firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "bench", Version: v, WeightSize: 64 << 10}, releaseKey))
	}
	b.SetBytes(int64(len(bundles[0])))
	i := 0
	for b.Loop() {
		if i == len(bundles) {
			b.StopTimer()
			fsys.Close() // start over in a new directory so versions can repeat
			if fsys, err = firmware.OpenDirFS(b.TempDir()); err != nil {
				b.Fatal(err)
			}
			s = newStore(b, fsys, 0)
			i = 0
			b.StartTimer()
		}
		if _, err := s.Install(context.Background(), bundles[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
