package rplidar

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// transcript is a recorded serial exchange: the bytes the device sent,
// returned in chunks, and what the host wrote. At the end it returns
// atEnd, or acts as a serial read timeout when atEnd is nil.
type transcript struct {
	mu    sync.Mutex
	rx    []byte
	chunk int
	atEnd error
	tx    bytes.Buffer
}

func (s *transcript) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rx) == 0 {
		if s.atEnd != nil {
			return 0, s.atEnd
		}
		return 0, nil
	}
	n := min(len(p), len(s.rx), max(s.chunk, 1))
	copy(p, s.rx[:n])
	s.rx = s.rx[n:]
	return n, nil
}

func (s *transcript) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx.Write(p)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var ctx = context.Background()

func TestDevInfoHealth(t *testing.T) {
	rx := cat(
		[]byte{0x00, 0xA5, 0x13}, // leftovers before the descriptor
		AppendDescriptor(nil, Descriptor{Len: 20, Type: 0x04}), fakeInfo,
		AppendDescriptor(nil, Descriptor{Len: 3, Type: 0x06}), []byte{0x01, 0x34, 0x12},
	)
	tr := &transcript{rx: rx, chunk: 4}
	d, err := New(tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := d.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Model != 0x18 || info.FirmwareMajor != 1 || info.FirmwareMinor != 0x1d || info.Hardware != 7 || info.ModelName() != "RPLIDAR A1" {
		t.Errorf("info = %+v (%s)", info, info.ModelName())
	}
	if info.SerialHex() != "A1B2C3D4E5F60718293A4B5C6D7E8F90" {
		t.Errorf("serial %s", info.SerialHex())
	}
	h, err := d.Health(ctx)
	if err != nil || h != (Health{Status: HealthWarning, ErrorCode: 0x1234}) {
		t.Errorf("health = %+v, %v", h, err)
	}
	if got := tr.tx.Bytes(); !bytes.Equal(got, []byte{0xA5, 0x50, 0xA5, 0x52}) {
		t.Errorf("host wrote % x", got)
	}
	if d.Skipped() != 3 {
		t.Errorf("Skipped = %d, want 3", d.Skipped())
	}
}

func TestDevErrors(t *testing.T) {
	// No answer: timeout.
	d, _ := New(&transcript{}, &Opts{Timeout: 20 * time.Millisecond})
	if _, err := d.Health(ctx); !errors.Is(err, ErrTimeout) {
		t.Errorf("silent device: %v", err)
	}
	// Wrong descriptor (a SCAN descriptor where health was asked).
	d, _ = New(&transcript{rx: AppendDescriptor(nil, Descriptor{Len: 5, Multiple: true, Type: 0x81})}, nil)
	if _, err := d.Health(ctx); !errors.Is(err, ErrDescriptor) {
		t.Errorf("wrong descriptor: %v", err)
	}
	// Cable pulled mid-answer.
	d, _ = New(&transcript{rx: AppendDescriptor(nil, Descriptor{Len: 20, Type: 0x04})[:5], atEnd: io.EOF}, nil)
	if _, err := d.Info(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("unplugged: %v", err)
	}
	// Single-response SCAN descriptor.
	d, _ = New(&transcript{rx: AppendDescriptor(nil, Descriptor{Len: 5, Type: 0x81})}, nil)
	if err := d.StartScan(ctx); !errors.Is(err, ErrDescriptor) {
		t.Errorf("single-mode scan: %v", err)
	}
	if _, err := New(&transcript{}, &Opts{PWM: 2000}); err == nil {
		t.Error("PWM 2000 accepted")
	}
}

func TestDevScan(t *testing.T) {
	samples := revolutions(2, 20)
	samples[7*SampleLen] = 0xff // corrupt sample 7: S and !S both set
	tr := &transcript{rx: cat(AppendDescriptor(nil, Descriptor{Len: 5, Multiple: true, Type: 0x81}), samples), chunk: 7}
	d, _ := New(tr, &Opts{Timeout: 20 * time.Millisecond})
	if err := d.StartScan(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, err := d.ReadSample(ctx)
		if errors.Is(err, ErrTimeout) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 39 || d.Stats().Malformed != 1 || d.Stats().Resyncs != 1 {
		t.Errorf("%d samples, stats %+v; want 39 and one resync", n, d.Stats())
	}
	if !bytes.Equal(tr.tx.Bytes(), []byte{0xA5, 0x20}) {
		t.Errorf("host wrote % x", tr.tx.Bytes())
	}
}

func TestDevStopResetMotor(t *testing.T) {
	f := &fakeLidar{}
	d, _ := New(f, &Opts{Motor: MotorPWM})
	if err := d.StartMotor(); err != nil {
		t.Fatal(err)
	}
	if f.dtr || f.pwm != DefaultPWM {
		t.Errorf("after StartMotor: DTR %v PWM %d, want cleared and 660", f.dtr, f.pwm)
	}
	if err := d.StopMotor(); err != nil {
		t.Fatal(err)
	}
	if !f.dtr || f.pwm != 0 {
		t.Errorf("after StopMotor: DTR %v PWM %d", f.dtr, f.pwm)
	}
	if err := d.Reset(ctx, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if f.resets != 1 || f.out.Len() != 0 {
		t.Errorf("resets %d, %d bytes of boot banner left unflushed", f.resets, f.out.Len())
	}
	want := []byte{CmdSetMotorPWM, CmdSetMotorPWM, CmdReset, CmdStop}
	if !bytes.Equal(f.cmds(), want) {
		t.Errorf("commands % x, want % x", f.cmds(), want)
	}
	// A1 motor on a stream without DTR cannot work.
	d, _ = New(&transcript{}, &Opts{Motor: MotorDTR})
	if err := d.StartMotor(); err == nil {
		t.Error("DTR motor control on a stream without DTR succeeded")
	}
}

// FuzzDevScan feeds arbitrary device bytes to a scan session.
func FuzzDevScan(f *testing.F) {
	f.Add(cat(AppendDescriptor(nil, Descriptor{Len: 5, Multiple: true, Type: 0x81}), revolutions(2, 5)))
	f.Add([]byte{0xA5, 0x5A, 0xA5, 0x5A, 0x05, 0, 0, 0x40, 0x81, 1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		d, _ := New(&transcript{rx: in, chunk: 3, atEnd: io.EOF}, &Opts{Motor: MotorNone})
		if err := d.StartScan(ctx); err != nil {
			return
		}
		var a Assembler
		for i := 0; i <= len(in); i++ {
			s, tm, err := d.ReadSample(ctx)
			if err != nil {
				return
			}
			a.Add(s, tm)
		}
		t.Fatal("more samples than bytes")
	})
}
