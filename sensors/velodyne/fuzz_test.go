package velodyne_test

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

// FuzzDecode feeds arbitrary payloads (and pairs of them) through the
// decoder and assembler: errors are fine, panics and out-of-range points
// are not.
func FuzzDecode(f *testing.F) {
	f.Add(velodynetest.Payload(0, 40, 1000, 10, 0))
	f.Add(velodynetest.Payload(35900, 40, 0, 0, 3599999999))
	dual := velodynetest.Payload(100, 0, 65535, 255, 12)
	dual[1204] = 0x39
	f.Add(dual)
	f.Add([]byte{0xFF, 0xEE})
	zigzag := velodynetest.Payload(0, 17999, 7, 1, 5)
	f.Add(zigzag)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := velodyne.NewAssembler(velodyne.Options{NoReturns: velodyne.KeepNoReturns})
		if err != nil {
			t.Fatal(err)
		}
		check := func(s *sensors.Scan) {
			for _, p := range s.Points {
				if p.Azimuth < 0 || p.Azimuth >= 6.2832 || p.Intensity < 0 || p.Intensity > 1 || p.Ring >= 16 {
					t.Fatalf("bad point %+v", p)
				}
			}
		}
		var p velodyne.Packet
		errDecode := p.Decode(b)
		errAdd := a.Add(b, time.Time{}, check)
		if (errDecode == nil) != (errAdd == nil) {
			t.Fatalf("Decode %v, Add %v", errDecode, errAdd)
		}
		// The same payload again, as a replayed or duplicated packet.
		_ = a.Add(b, time.Unix(1e9, 0), check)
		a.Flush(check)
	})
}
