package firmware_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/sensors"
)

func hostSpec(version uint64) firmwaretest.Spec {
	return firmwaretest.Spec{Kind: firmware.KindHost, ModelID: "host-fleet", Version: version, WeightSize: 8, Probes: 1}
}

// TestHostBundleRoundTrip: a host bundle keeps its kind through encoding,
// signing and parsing, and verifies under a host policy.
func TestHostBundleRoundTrip(t *testing.T) {
	data := mustBuild(t, hostSpec(2), releaseKey)
	b, signers, err := firmware.Verify(data, firmware.Policy{Trust: trust(releaseKey), Kind: firmware.KindHost, Installed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != firmware.KindHost || b.ModelID != "host-fleet" || b.Version != 2 || len(signers) != 1 {
		t.Fatalf("parsed %v %q v%d, %d signers", b.Kind, b.ModelID, b.Version, len(signers))
	}
	if data[6] != 128 {
		t.Errorf("kind byte %d, doc.go says 128", data[6])
	}
	again, err := b.MarshalBinary()
	if err != nil || !bytes.Equal(again, data) {
		t.Fatalf("re-encoding differs (%v)", err)
	}
	for _, name := range []string{"host", "lidar", "camera", "range"} {
		k, ok := firmware.ParseKindName(name)
		if !ok || firmware.KindName(k) != name {
			t.Errorf("kind name %q: %v %v → %q", name, k, ok, firmware.KindName(k))
		}
	}
	if _, ok := firmware.ParseKindName("unknown"); ok {
		t.Error(`"unknown" parsed as a bundle kind`)
	}
}

// TestHostKindRefusals: a host bundle is no sensor's, and a sensor's bundle
// is not a host model; both are refused as wrong_sensor with a message that
// says which is which.
func TestHostKindRefusals(t *testing.T) {
	host := mustBuild(t, hostSpec(2), releaseKey)
	lidar := mustBuild(t, spec(2), releaseKey)
	cases := []struct {
		name      string
		data      []byte
		want, got sensors.Kind
		says      string
	}{
		{"host bundle to a lidar", host, sensors.KindLidar, firmware.KindHost, "holds a host model, not a model for a lidar sensor"},
		{"host bundle to a camera", host, sensors.KindCamera, firmware.KindHost, "holds a host model"},
		{"lidar bundle as host", lidar, firmware.KindHost, sensors.KindLidar, "is for a lidar sensor, not a host model"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := firmware.Verify(c.data, firmware.Policy{Trust: trust(releaseKey), Kind: c.want})
			var se *firmware.SensorError
			if !errors.As(err, &se) || se.Want != c.want || se.Got != c.got {
				t.Fatalf("got %v, want a SensorError %v → %v", err, c.got, c.want)
			}
			if firmware.Code(err) != "wrong_sensor" || !strings.Contains(err.Error(), c.says) {
				t.Errorf("code %q, message %q", firmware.Code(err), err)
			}
		})
	}
}

func newHostStore(t testing.TB, fsys firmware.FS) *firmware.Store {
	t.Helper()
	s, err := firmware.NewStore(fsys, firmware.Options{Trust: trust(releaseKey), Kind: firmware.KindHost, Loader: firmwaretest.Loader(0)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHostStoreRefusesSensorBundle: a store for the host model installs
// host bundles only; a refused bundle leaves the host model running.
func TestHostStoreRefusesSensorBundle(t *testing.T) {
	ctx := context.Background()
	s := newHostStore(t, firmwaretest.NewMemFS())
	if _, err := s.Install(ctx, mustBuild(t, hostSpec(1), releaseKey)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Install(ctx, mustBuild(t, spec(5), releaseKey)); firmware.Code(err) != "wrong_sensor" {
		t.Fatalf("lidar bundle into the host store: %v", err)
	}
	if a := s.Active(); a == nil || a.Bundle.Kind != firmware.KindHost || a.Bundle.Version != 1 {
		t.Fatalf("active after the refusal: %+v", a)
	}
}

// TestStoreRetire: a retired store runs nothing, also after a restart; the
// retired bundle or an older one cannot come back, a newer one installs and
// is active after a restart.
func TestStoreRetire(t *testing.T) {
	ctx := context.Background()
	fsys := firmwaretest.NewMemFS()
	s := newHostStore(t, fsys)
	for v := uint64(1); v <= 3; v++ {
		if _, err := s.Install(ctx, mustBuild(t, hostSpec(v), releaseKey)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Retire(); err != nil {
		t.Fatal(err)
	}
	if s.Active() != nil {
		t.Fatal("a retired store still has an active model")
	}
	s = newHostStore(t, fsys) // restart
	if a, err := s.Start(ctx); !errors.Is(err, firmware.ErrNoModel) || a != nil {
		t.Fatalf("start after retire: %v %+v", err, a)
	}
	for _, v := range []uint64{2, 3} {
		if _, err := s.Install(ctx, mustBuild(t, hostSpec(v), releaseKey)); firmware.Code(err) != "downgrade" {
			t.Fatalf("version %d after retiring 3: %v", v, err)
		}
	}
	if _, err := newHostStore(t, fsys).Install(ctx, mustBuild(t, hostSpec(2), releaseKey)); firmware.Code(err) != "downgrade" {
		t.Fatalf("version 2 into a freshly opened retired store: %v", err)
	}
	a, err := s.Install(ctx, mustBuild(t, hostSpec(4), releaseKey))
	if err != nil || a.Bundle.Version != 4 {
		t.Fatalf("version 4 after retire: %v", err)
	}
	a, err = newHostStore(t, fsys).Start(ctx)
	if err != nil || a.Bundle.Version != 4 {
		t.Fatalf("restart after the install: %v %+v", err, a)
	}
}
