package rplidar

import (
	"bytes"
	"os"
	"sync"
	"time"
)

// fakeLidar simulates an RPLIDAR at the protocol level: it answers
// GET_HEALTH and GET_INFO, streams samples after SCAN while its motor runs
// (DTR cleared), stops on STOP, and can be unplugged.
type fakeLidar struct {
	mu        sync.Mutex
	out       bytes.Buffer
	in        []byte
	scanning  bool
	dtr       bool
	pwm       int
	health    Health
	healthSeq []Health // answers to successive GET_HEALTH, then health
	resets    int
	commands  []byte
	points    int  // samples per revolution (default 36)
	angle     int  // next sample index
	gone      bool // unplugged: reads and writes fail
	corrupt   func(b []byte) []byte
	closed    bool
}

var fakeInfo = []byte{0x18, 0x1d, 0x01, 0x07, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90}

func (f *fakeLidar) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone || f.closed {
		return 0, os.ErrClosed
	}
	f.in = append(f.in, p...)
	for len(f.in) >= 2 {
		if f.in[0] != syncRequest {
			f.in = f.in[1:]
			continue
		}
		cmd := f.in[1]
		n := 2
		if cmd&0x80 != 0 {
			if len(f.in) < 3 || len(f.in) < 4+int(f.in[2]) {
				return len(p), nil
			}
			n = 4 + int(f.in[2])
			if cmd == CmdSetMotorPWM {
				f.pwm = int(f.in[3]) | int(f.in[4])<<8
			}
		}
		f.in = f.in[n:]
		f.commands = append(f.commands, cmd)
		switch cmd {
		case CmdStop:
			f.scanning = false
		case CmdReset:
			f.scanning = false
			f.resets++
			f.out.WriteString("RP LIDAR System.\r\nFirmware Ver 1.29\r\n")
		case CmdGetHealth:
			h := f.health
			if len(f.healthSeq) > 0 {
				h, f.healthSeq = f.healthSeq[0], f.healthSeq[1:]
			}
			f.out.Write(AppendDescriptor(nil, Descriptor{Len: healthLen, Type: typeHealth}))
			f.out.Write([]byte{byte(h.Status), byte(h.ErrorCode), byte(h.ErrorCode >> 8)})
		case CmdGetInfo:
			f.out.Write(AppendDescriptor(nil, Descriptor{Len: infoLen, Type: typeInfo}))
			f.out.Write(fakeInfo)
		case CmdScan:
			f.scanning = true
			f.out.Write(AppendDescriptor(nil, Descriptor{Len: SampleLen, Multiple: true, Type: typeScan}))
		}
	}
	return len(p), nil
}

func (f *fakeLidar) Read(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone || f.closed {
		return 0, os.ErrClosed
	}
	if f.scanning && !f.dtr {
		pts := f.points
		if pts == 0 {
			pts = 36
		}
		var b []byte
		for i := 0; i < 8; i++ {
			k := f.angle % pts
			b = AppendSample(b, Sample{Start: k == 0, Quality: 47, AngleQ6: uint16(k * 360 * 64 / pts), DistQ2: uint16(4000 + 4*k)})
			f.angle++
		}
		if f.corrupt != nil {
			b = f.corrupt(b)
		}
		f.out.Write(b)
	}
	if f.out.Len() == 0 {
		return 0, nil // serial read timeout
	}
	return f.out.Read(p)
}

func (f *fakeLidar) SetDTR(v bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone {
		return os.ErrClosed
	}
	f.dtr = v
	return nil
}

func (f *fakeLidar) ResetInputBuffer() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out.Reset()
	return nil
}

func (f *fakeLidar) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeLidar) unplug() {
	f.mu.Lock()
	f.gone = true
	f.mu.Unlock()
}

func (f *fakeLidar) resetCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.resets
}

func (f *fakeLidar) cmds() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.commands...)
}
