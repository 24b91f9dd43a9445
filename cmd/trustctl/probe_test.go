package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// answerBus ACKs reads at the listed addresses.
type answerBus struct {
	at     map[uint16]bool
	tries  []uint16
	closed bool
}

func (b *answerBus) String() string                  { return "fake" }
func (b *answerBus) SetSpeed(physic.Frequency) error { return nil }
func (b *answerBus) Close() error                    { b.closed = true; return nil }
func (b *answerBus) Tx(addr uint16, w, r []byte) error {
	b.tries = append(b.tries, addr)
	if len(w) != 0 || len(r) != 1 {
		return errors.New("probe must only read one byte")
	}
	if !b.at[addr] {
		return errors.New("NACK")
	}
	return nil
}

type fakeEnv struct {
	i2c, spi []busInfo
	serial   []serialInfo
	cams     []string
	buses    map[string]*answerBus
}

func (f *fakeEnv) I2CBuses() []busInfo                { return append([]busInfo(nil), f.i2c...) }
func (f *fakeEnv) SPIPorts() []busInfo                { return f.spi }
func (f *fakeEnv) SerialPorts() ([]serialInfo, error) { return f.serial, nil }
func (f *fakeEnv) Cameras() ([]string, error)         { return f.cams, nil }
func (f *fakeEnv) OpenI2C(name string) (i2c.BusCloser, error) {
	if b, ok := f.buses[name]; ok {
		return b, nil
	}
	return nil, errors.New("permission denied")
}

func TestProbeReport(t *testing.T) {
	bus1 := &answerBus{at: map[uint16]bool{0x10: true}}
	env := &fakeEnv{
		i2c:    []busInfo{{Name: "I2C1", Aliases: []string{"/dev/i2c-1"}, Number: 1}, {Name: "I2C2", Number: 2}},
		spi:    []busInfo{{Name: "SPI0.0", Aliases: []string{"/dev/spidev0.0"}}},
		serial: []serialInfo{{Name: "/dev/ttyUSB0", USB: true, VID: "10c4", PID: "ea60", Serial: "0001"}, {Name: "/dev/ttyAMA0"}},
		cams:   []string{"/dev/video2", "/dev/video0"},
		buses:  map[string]*answerBus{"I2C1": bus1},
	}
	addrs := append(knownI2C(), probeAddr{0x63, "requested"})
	rep := probe(context.Background(), env, true, addrs)
	if len(bus1.tries) != 4 || !bus1.closed {
		t.Errorf("bus 1 tried %x, closed %v", bus1.tries, bus1.closed)
	}
	d := rep.I2C[0].Devices
	if len(d) != 4 || !d[0].Answers || d[0].Addr != "0x10" || d[2].Answers || d[3].Addr != "0x63" {
		t.Errorf("bus 1 devices %+v", d)
	}
	if rep.I2C[1].Error != "permission denied" {
		t.Errorf("bus 2 error %q", rep.I2C[1].Error)
	}
	if rep.Serial[0].Known == "" || rep.Serial[1].Known != "" {
		t.Errorf("serial %+v", rep.Serial)
	}
	if rep.Cameras[0] != "/dev/video0" {
		t.Errorf("cameras not sorted: %v", rep.Cameras)
	}
	var out bytes.Buffer
	printProbe(&out, rep, true)
	for _, want := range []string{
		"I2C1 (/dev/i2c-1)",
		"0x10 answers   Benewake TF-Luna",
		"0x62 no answer Garmin LIDAR-Lite v3",
		"cannot open: permission denied",
		"SPI0.0 (/dev/spidev0.0)",
		"/dev/ttyUSB0  USB 10c4:ea60 serial 0001  [Silicon Labs CP210x (RPLIDAR A1/A2 adapter)]",
		"/dev/ttyAMA0\n",
		"/dev/video0\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestProbeNothing(t *testing.T) {
	var out bytes.Buffer
	printProbe(&out, probe(context.Background(), &fakeEnv{}, true, knownI2C()), true)
	if got := strings.Count(out.String(), "none found"); got != 4 {
		t.Errorf("%d sections say none found, want 4:\n%s", got, out.String())
	}
}

// TestProbeThisMachine runs the real command. It must work with or without
// hardware: on a machine with none it prints "none found".
func TestProbeThisMachine(t *testing.T) {
	var out, errb bytes.Buffer
	if err := cmdProbe(context.Background(), []string{"-scan"}, &out, &errb); err != nil {
		t.Fatalf("probe: %v\n%s", err, errb.String())
	}
	for _, s := range []string{"I²C buses:", "SPI ports:", "Serial ports:", "Cameras:"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	t.Logf("probe on this machine:\n%s", out.String())
	out.Reset()
	if err := cmdProbe(context.Background(), []string{"-json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var rep probeReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("-json output: %v\n%s", err, out.String())
	}
}

func TestProbeUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"-addr", "0x99"}, {"-addr", "x"}, {"extra"}} {
		if err := cmdProbe(context.Background(), args, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
