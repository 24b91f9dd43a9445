package faults

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

func TestDefaultScenario(t *testing.T) {
	sc, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if sc.Duration < 2*time.Minute || len(sc.Events) < 6 {
		t.Fatalf("default scenario too small: %v, %d events", sc.Duration, len(sc.Events))
	}
	kinds := map[string]sensors.Kind{"lidar0": sensors.KindLidar, "cam0": sensors.KindCamera}
	faultsBy := map[string]map[string]bool{}
	for _, e := range sc.Events {
		k, ok := kinds[e.Sensor]
		if !ok {
			t.Fatalf("line %d: unexpected sensor %q", e.Line, e.Sensor)
		}
		if _, err := New(k, Config{Fault: e.Fault, Severity: e.Severity}); err != nil {
			t.Errorf("line %d: %v", e.Line, err)
		}
		if e.For == 0 || e.At+e.For >= sc.Duration {
			t.Errorf("line %d: %s has no recovery before the end", e.Line, e.Fault)
		}
		if faultsBy[e.Sensor] == nil {
			faultsBy[e.Sensor] = map[string]bool{}
		}
		faultsBy[e.Sensor][e.Fault] = true
	}
	// faults on one sensor never overlap, so each recovery is visible
	for i, a := range sc.Events {
		for _, b := range sc.Events[i+1:] {
			if a.Sensor == b.Sensor && b.At < a.At+a.For && a.At < b.At+b.For {
				t.Errorf("events at lines %d and %d overlap", a.Line, b.Line)
			}
		}
	}
	if len(faultsBy["lidar0"]) < 3 || len(faultsBy["cam0"]) < 3 {
		t.Errorf("want several fault kinds per sensor: %v", faultsBy)
	}
}

func TestParseScenario(t *testing.T) {
	sc, err := ParseScenario([]byte("- at: 20s\n  sensor: lidar0\n  fault: fog\n  severity: 2\n  for: 15s\n- at: 40s\n  sensor: cam0\n  fault: frozen\n  severity: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{At: 20 * time.Second, For: 15 * time.Second, Sensor: "lidar0", Fault: "fog", Severity: 2, Line: 1},
		{At: 40 * time.Second, Sensor: "cam0", Fault: "frozen", Severity: 1, Line: 6}}
	if len(sc.Events) != 2 {
		t.Fatalf("%d events", len(sc.Events))
	}
	for i, w := range want {
		g := sc.Events[i]
		g.Seed = 0
		if g != w {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
	if sc.Events[0].Seed == sc.Events[1].Seed || sc.Events[0].Seed == 0 {
		t.Error("events should get distinct derived seeds")
	}
	if got := sc.ActiveAt("lidar0", 34*time.Second); len(got) != 1 {
		t.Errorf("active at 34 s: %v", got)
	}
	if got := sc.ActiveAt("lidar0", 35*time.Second); len(got) != 0 {
		t.Errorf("active at 35 s: %v", got)
	}
	if got := sc.ActiveAt("cam0", time.Hour); len(got) != 1 {
		t.Errorf("open-ended event not active an hour later: %v", got)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"events:\n  - at: 20s\n    sensor: l\n    fault: fog\n    sevrity: 2\n", "line 5: unknown key \"sevrity\""},
		{"events:\n  - at: 20s\n    sensor: l\n    fault: smoke\n    severity: 2\n", "line 4: unknown fault \"smoke\""},
		{"events:\n  - at: 20s\n    sensor: l\n    fault: fog\n    severity: 4\n", "line 5: severity 4"},
		{"events:\n  - at: soon\n    sensor: l\n    fault: fog\n    severity: 1\n", "line 2: \"soon\" is not"},
		{"events:\n  - at: -3s\n    sensor: l\n    fault: fog\n    severity: 1\n", "line 2:"},
		{"events:\n  - sensor: l\n    fault: fog\n    severity: 1\n", "line 2: event without \"at\""},
		{"name: x\nspeed: 3\n", "line 2: unknown key \"speed\""},
		{"seed: -1\n", "line 1:"},
		{"events: 3\n", "line 1: events must be a list"},
		{"- 3\n", "line 1: an event must be a mapping"},
		{"", "empty document"},
		{"events:\n  - at: 1s\n    at: 2s\n", "line 3: duplicate key"},
		{"[", "faults: scenario"},
	} {
		_, err := ParseScenario([]byte(c.doc))
		var se *ScenarioError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseScenario(%q) = %v, want an error containing %q", c.doc, err, c.want)
		}
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("- at: 20s\n  sensor: lidar0\n  fault: fog\n  severity: 2\n  for: 15s\n"))
	f.Add([]byte("events: [{at: 1s, sensor: a, fault: stale, severity: 3}]"))
	f.Add([]byte("name: &a x\nseed: *a\n"))
	f.Add([]byte("events:\n  - !!binary aGVsbG8=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseScenario(b)
		if err != nil {
			return
		}
		for _, e := range sc.Events {
			if e.Severity < 1 || e.Severity > 3 || e.At < 0 || e.For < 0 || !Known(e.Fault) || e.Sensor == "" {
				t.Fatalf("accepted invalid event %+v", e)
			}
		}
	})
}

func TestPlayerWindowsAndLabels(t *testing.T) {
	sc, err := ParseScenario([]byte(`
events:
  - {at: 1s, for: 1s, sensor: r0, fault: disconnect, severity: 1}
  - {at: 3s, for: 1s, sensor: r0, fault: latency, severity: 2}
  - {at: 0s, sensor: other, fault: stale, severity: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	frames := rangeFrames(50, period)
	p, err := NewPlayer(sc, sensors.Info{Name: "r0", Kind: sensors.KindRange, Period: period}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events()) != 2 {
		t.Fatalf("player for r0 has %d events", len(p.Events()))
	}
	var outs []Output
	for _, f := range frames {
		outs = append(outs, p.Push(f)...)
	}
	outs = append(outs, p.Flush()...)
	if len(outs) != 40 {
		t.Fatalf("%d frames out, want 40 (10 lost to the disconnect)", len(outs))
	}
	for _, o := range outs {
		i := idx(o.Frame)
		switch {
		case i >= 10 && i < 20:
			t.Fatalf("frame %d delivered during the disconnect", i)
		case i >= 30 && i < 40:
			if len(o.Active) != 1 || o.Active[0] != (Label{"latency", 2}) || !o.Altered ||
				frames[i].Head().Stamp.Sub(o.Frame.Head().Stamp) != 200*time.Millisecond {
				t.Fatalf("frame %d: %+v", i, o)
			}
		default:
			if len(o.Active) != 0 || o.Altered || o.Frame != frames[i] {
				t.Fatalf("clean frame %d: %+v", i, o)
			}
		}
	}
	// a fault that does not fit the sensor kind is refused
	bad, _ := ParseScenario([]byte("- {at: 0s, sensor: r0, fault: shot_noise, severity: 1}"))
	var ue *UnknownFaultError
	if _, err := NewPlayer(bad, sensors.Info{Name: "r0", Kind: sensors.KindLidar}, time.Time{}); !errors.As(err, &ue) {
		t.Errorf("camera fault on a LiDAR accepted: %v", err)
	}
}

func TestWrapSource(t *testing.T) {
	sc, err := ParseScenario([]byte("- {at: 500ms, for: 500ms, sensor: r0, fault: frame_drops, severity: 3}\n- {at: 1s, for: 1s, sensor: r0, fault: out_of_order, severity: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	newSrc := func(t *testing.T) sensors.Source {
		fake, err := sensortest.NewSource(sensors.Info{Name: "r0", Kind: sensors.KindRange, Period: period}, rangeFrames(40, period), sensortest.SourceOptions{KeepStamps: true, Loop: true})
		if err != nil {
			t.Fatal(err)
		}
		w, err := Wrap(fake, sc, WrapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	sensortest.Run(t, newSrc)

	fake, _ := sensortest.NewSource(sensors.Info{Name: "r0", Kind: sensors.KindRange, Period: period}, rangeFrames(30, period), sensortest.SourceOptions{KeepStamps: true})
	var labels []Output
	w, err := Wrap(fake, sc, WrapOptions{Observe: func(o Output) { labels = append(labels, o) }})
	if err != nil {
		t.Fatal(err)
	}
	var got []sensors.Frame
	err = w.Run(context.Background(), func(f sensors.Frame) { got = append(got, f) })
	if !errors.Is(err, sensors.ErrNoData) {
		t.Fatalf("Run = %v", err)
	}
	if len(got) >= 30 || len(got) < 20 || len(labels) != len(got) {
		t.Fatalf("%d frames and %d labels from 30 with half of 5 dropped", len(got), len(labels))
	}
	for i, f := range got {
		if f.Head().Seq != uint64(i+1) {
			t.Fatalf("frame %d has Seq %d: wrapped sources renumber", i, f.Head().Seq)
		}
	}
}
