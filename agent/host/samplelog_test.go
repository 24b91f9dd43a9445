package host

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func seqRow(i int) []float64 { return []float64{float64(i), -float64(i)} }

func checkRows(t *testing.T, l *SampleLog, from, to int) {
	t.Helper()
	rows, times := l.Rows()
	if len(rows) != to-from+1 || l.Len() != len(rows) {
		t.Fatalf("%d rows (Len %d), want samples %d..%d", len(rows), l.Len(), from, to)
	}
	for k, r := range rows {
		i := from + k
		if r[0] != float64(i) || r[1] != -float64(i) || !times[k].Equal(time.Unix(int64(i), 0)) {
			t.Fatalf("row %d = %v at %v, want sample %d", k, r, times[k], i)
		}
	}
}

func TestSampleLogRingAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.log")
	l, err := OpenSampleLog(path, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := l.Append(time.Unix(int64(i), 0), seqRow(i)); err != nil {
			t.Fatal(err)
		}
	}
	checkRows(t, l, 1, 3)
	// A crash (no Close): what was written is kept, and appends continue
	// after it.
	l2, err := OpenSampleLog(path, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, l2, 1, 3)
	for i := 4; i <= 12; i++ {
		if err := l2.Append(time.Unix(int64(i), 0), seqRow(i)); err != nil {
			t.Fatal(err)
		}
	}
	checkRows(t, l2, 8, 12)
	l2.Close()
	l.Close()
	l3, err := OpenSampleLog(path, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer l3.Close()
	checkRows(t, l3, 8, 12)
	if err := l3.Append(time.Unix(13, 0), seqRow(13)); err != nil {
		t.Fatal(err)
	}
	checkRows(t, l3, 9, 13)
	if st, _ := os.Stat(path); st.Size() != logHeaderSize+5*(20+16) {
		t.Errorf("file size %d, want fixed %d", st.Size(), logHeaderSize+5*(20+16))
	}
}

func TestSampleLogTornSlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.log")
	l, _ := OpenSampleLog(path, 2, 4)
	for i := 1; i <= 3; i++ {
		l.Append(time.Unix(int64(i), 0), seqRow(i))
	}
	l.Close()
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff, 0xff}, logHeaderSize+2*(20+16)+20) // sample 3 half written
	f.Close()
	l, err := OpenSampleLog(path, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkRows(t, l, 1, 2)
	l.Append(time.Unix(3, 0), seqRow(3))
	checkRows(t, l, 1, 3)
}

func TestSampleLogShapeChangeStartsOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.log")
	l, _ := OpenSampleLog(path, 2, 4)
	l.Append(time.Unix(1, 0), seqRow(1))
	l.Close()
	l, err := OpenSampleLog(path, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Len() != 0 {
		t.Errorf("%d samples of another shape kept", l.Len())
	}
}

// fullDisk fails writes with ENOSPC once its budget is spent.
type fullDisk struct {
	*os.File
	budget int
}

func (f *fullDisk) WriteAt(b []byte, off int64) (int, error) {
	if f.budget <= 0 {
		return 0, syscall.ENOSPC
	}
	f.budget--
	return f.File.WriteAt(b, off)
}

func TestSampleLogFullDisk(t *testing.T) {
	dir := t.TempDir()
	budget := 1
	open := func(p string, flag int) (logFile, error) {
		f, err := os.OpenFile(p, flag, 0o640)
		if err != nil {
			return nil, err
		}
		return &fullDisk{File: f, budget: budget}, nil
	}
	// Creation needs header and body: with room for the header only it
	// fails, and leaves no file behind.
	path := filepath.Join(dir, "samples.log")
	if _, err := openSampleLog(path, 2, 4, open); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("create on a full disk: %v, want ENOSPC", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("half-created log left behind: %v", err)
	}
	budget = 3 // header, body, one sample
	l, err := openSampleLog(path, 2, 4, open)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(time.Unix(1, 0), seqRow(1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(time.Unix(2, 0), seqRow(2)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v", err)
	}
	checkRows(t, l, 1, 1)
	l.Close()
}

func TestReadSampleLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.log")
	l, _ := OpenSampleLog(path, 2, 3)
	for i := 1; i <= 4; i++ {
		l.Append(time.Unix(int64(i), 0), seqRow(i))
	}
	l.Close()
	rows, times, err := ReadSampleLog(path)
	if err != nil || len(rows) != 3 || rows[0][0] != 2 || !times[2].Equal(time.Unix(4, 0)) {
		t.Fatalf("rows %v times %v err %v", rows, times, err)
	}
	os.WriteFile(path, []byte("not a log at all, but long enough for a header"), 0o644)
	if _, _, err := ReadSampleLog(path); !errors.Is(err, ErrLogFormat) {
		t.Errorf("garbage: %v", err)
	}
}

// FuzzReadSampleLog: a log copied from a robot is untrusted bytes.
func FuzzReadSampleLog(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.log")
	l, _ := OpenSampleLog(path, 2, 3)
	l.Append(time.Unix(1, 0), seqRow(1))
	l.Close()
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add([]byte("TRHOSTL1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "x.log")
		os.WriteFile(p, b, 0o644)
		rows, times, err := ReadSampleLog(p)
		if err == nil && len(rows) != len(times) {
			t.Fatalf("%d rows, %d times", len(rows), len(times))
		}
	})
}
