package benewake

import (
	"context"
	"errors"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

func TestI2CRead(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		// dist 0x01f4 = 500 cm, amp 0x2710 = 10000, temp 0x0b2c = 2860 → 28.60 °C
		{Addr: 0x10, W: []byte{0x00}, R: []byte{0xf4, 0x01, 0x10, 0x27, 0x2c, 0x0b}},
		// amp 50: too weak, distance not trusted
		{Addr: 0x10, W: []byte{0x00}, R: []byte{0x20, 0x03, 0x32, 0x00, 0x2c, 0x0b}},
	}}
	d, err := NewI2C(bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.DistanceCM != 500 || m.Strength != 10000 || m.TempC != 28.6 || m.Metres() != 5 {
		t.Errorf("Read = %+v", m)
	}
	m, err = d.Read(context.Background())
	if err != nil || m.Valid() || m.Metres() != 0 {
		t.Errorf("weak reading = %+v, %v; want invalid", m, err)
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestI2CTrigger(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x11, W: []byte{0x24, 0x01}},
		{Addr: 0x11, W: []byte{0x00}, R: []byte{0x64, 0x00, 0xe8, 0x03, 0x00, 0x00}},
	}}
	d, err := NewI2C(bus, &I2COpts{Addr: 0x11, Trigger: true, TriggerWait: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := d.Read(context.Background()); err != nil || m.DistanceCM != 100 {
		t.Fatalf("Read = %+v, %v", m, err)
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestI2CErrors(t *testing.T) {
	// NACK on the first read, then a good one.
	bus := &flakyBus{
		Playback: i2ctest.Playback{Ops: []i2ctest.IO{{Addr: 0x10, W: []byte{0x00}, R: make([]byte, 6)}}},
		fail:     map[int]bool{0: true},
	}
	d, _ := NewI2C(bus, nil)
	if _, err := d.Read(context.Background()); !errors.Is(err, errNACK) {
		t.Fatalf("Read = %v, want wrapped NACK", err)
	}
	if _, err := d.Read(context.Background()); err != nil {
		t.Fatalf("Read after NACK = %v", err)
	}
	// Device gone: the transcript is exhausted and the bus errors.
	bus.DontPanic = true
	if _, err := d.Read(context.Background()); err == nil {
		t.Fatal("Read on a vanished device succeeded")
	}
	if _, err := NewI2C(bus, &I2COpts{Addr: 0x80}); err == nil {
		t.Error("address 0x80 accepted")
	}
}
