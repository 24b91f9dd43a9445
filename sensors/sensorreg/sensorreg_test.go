package sensorreg_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

type fakeOptions struct {
	Address string        `yaml:"address"`
	Rate    int           `yaml:"rate"`
	Timeout time.Duration `yaml:"timeout"`
	Verbose bool          // no tag: key "verbose"
	Skip    string        `yaml:"-"`
	hidden  int
}

func fakeDriver() sensorreg.Driver {
	return sensorreg.New("fake", func() fakeOptions { return fakeOptions{Rate: 10} },
		func(s sensorreg.Sensor, o fakeOptions) (sensors.Source, error) {
			if o.Address == "" {
				return nil, sensorreg.Keyf("address", "needs an address")
			}
			if o.Rate <= 0 {
				return nil, sensorreg.Keyf("rate", "%d is not positive", o.Rate)
			}
			src, err := sensortest.NewSource(sensors.Info{Name: s.Name, Kind: sensors.KindRange, Period: s.Period}, nil, sensortest.SourceOptions{})
			if err != nil {
				return nil, err
			}
			return src, nil
		})
}

func node(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestKeys(t *testing.T) {
	_ = fakeOptions{hidden: 1} // unexported fields are not keys
	got := fakeDriver().Keys()
	want := []string{"address", "rate", "timeout", "verbose"}
	if !slices.Equal(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
}

func TestDecodeAndBuild(t *testing.T) {
	d := fakeDriver()
	opts, err := d.Decode(node(t, "address: /dev/x\ntimeout: 2s\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := opts.(*fakeOptions)
	if o.Address != "/dev/x" || o.Rate != 10 || o.Timeout != 2*time.Second {
		t.Errorf("decoded %+v: defaults not kept under set keys", *o)
	}
	src, err := d.Build(sensorreg.Sensor{Name: "r0", Period: 10 * time.Millisecond}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if src.Info().Name != "r0" {
		t.Errorf("Info %+v", src.Info())
	}
}

func TestDecodeErrors(t *testing.T) {
	d := fakeDriver()
	_, err := d.Decode(node(t, "address: x\ncolour: blue\n"))
	var ke *sensorreg.KeyError
	if !errors.As(err, &ke) || ke.Key != "colour" || !errors.Is(err, sensorreg.ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	_, err = d.Decode(node(t, "address: x\nrate: fast\n"))
	var te *yaml.TypeError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad value: %v", err)
	}
	if _, err := d.Decode(node(t, "[1, 2]\n")); err == nil {
		t.Error("a sequence decoded as options")
	}
}

func TestBuildErrors(t *testing.T) {
	d := fakeDriver()
	opts, _ := d.Decode(node(t, "rate: -1\naddress: x\n"))
	_, err := d.Build(sensorreg.Sensor{Name: "r0"}, opts)
	var ke *sensorreg.KeyError
	if !errors.As(err, &ke) || ke.Key != "rate" {
		t.Errorf("bad rate: %v", err)
	}
	if _, err := d.Build(sensorreg.Sensor{Name: "r0"}, &struct{}{}); err == nil {
		t.Error("options of another driver accepted")
	}
	if _, err := d.Build(sensorreg.Sensor{}, d.Options()); err == nil {
		t.Error("sensor without a name accepted")
	}
	if _, err := (sensorreg.Driver{}).Build(sensorreg.Sensor{Name: "x"}, nil); err == nil {
		t.Error("zero Driver built")
	}
}

func TestRegistry(t *testing.T) {
	other := sensorreg.New("other", func() struct {
		Rate int `yaml:"rate"`
	} {
		return struct {
			Rate int `yaml:"rate"`
		}{}
	}, func(sensorreg.Sensor, struct {
		Rate int `yaml:"rate"`
	}) (sensors.Source, error) {
		return nil, errors.New("not built in this test")
	})
	if _, err := sensorreg.NewRegistry(sensorreg.New[fakeOptions]("nil", nil, nil)); err == nil {
		t.Error("driver without a constructor accepted")
	}
	if _, err := sensorreg.NewRegistry(fakeDriver(), fakeDriver()); err == nil {
		t.Error("duplicate driver accepted")
	}
	if _, err := sensorreg.NewRegistry(sensorreg.Driver{}); err == nil {
		t.Error("zero driver accepted")
	}
	r, err := sensorreg.NewRegistry(fakeDriver(), other)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Names(); !slices.Equal(got, []string{"fake", "other"}) {
		t.Errorf("Names = %v", got)
	}
	if got := r.Using("rate"); !slices.Equal(got, []string{"fake", "other"}) {
		t.Errorf("Using(rate) = %v", got)
	}
	if _, ok := r.Driver("nope"); ok {
		t.Error("unknown driver found")
	}
}

func TestParseI2CAddr(t *testing.T) {
	for in, want := range map[string]uint16{"": 0x62, "0x10": 0x10, "16": 16, "0x7f": 0x7f} {
		if got, err := sensorreg.ParseI2CAddr(in, 0x62); err != nil || got != want {
			t.Errorf("ParseI2CAddr(%q) = %#x, %v", in, got, err)
		}
	}
	for _, in := range []string{"0x80", "x", "-1"} {
		if _, err := sensorreg.ParseI2CAddr(in, 0x62); err == nil {
			t.Errorf("ParseI2CAddr(%q) accepted", in)
		}
	}
}
