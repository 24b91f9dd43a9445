package outbox

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustSequencer(t *testing.T, fsys FS) *Sequencer {
	t.Helper()
	s, err := OpenSequencer(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSequencerRestartGivesLargerNumbers: a new run over the same
// directory numbers above everything the earlier run handed out, whether
// it was closed or killed (a Sequencer has nothing to close: Next never
// writes), and numbers each key's changes contiguously from 1.
func TestSequencerRestartGivesLargerNumbers(t *testing.T) {
	dir := DirFS(t.TempDir())
	s1 := mustSequencer(t, dir)
	var top uint64
	for range 5 {
		top = max(top, s1.Next("lidar0"))
	}
	top = max(top, s1.Next("summary"))

	s2 := mustSequencer(t, dir) // as after SIGKILL: nothing of s1 was saved after its start
	if s2.Epoch() != s1.Epoch()+1 {
		t.Fatalf("epoch %d after %d", s2.Epoch(), s1.Epoch())
	}
	for _, key := range []string{"lidar0", "summary", "cam0"} {
		for i := uint64(1); i <= 3; i++ {
			n := s2.Next(key)
			if n <= top {
				t.Fatalf("%s: %d after the restart, not above the earlier run's %d", key, n, top)
			}
			if n != s2.Epoch()<<32|i {
				t.Fatalf("%s: change %d numbered %#x", key, i, n)
			}
		}
	}
	if n := s2.Next("lidar0"); n >= 1<<53 {
		t.Fatalf("%d is not exact as a JSON double", n)
	}
}

// TestSequencerRefusesWhenEpochCannotBeStored: with the disk full at
// start there is no Sequencer, so no number of an earlier run can be handed
// out again; once the disk works the numbers are above the earlier run's.
func TestSequencerRefusesWhenEpochCannotBeStored(t *testing.T) {
	dir := DirFS(t.TempDir())
	first := mustSequencer(t, dir).Next("lidar0")
	full := &failFS{FS: dir, failing: true}
	for range 3 {
		s, err := OpenSequencer(full)
		if !errors.Is(err, ErrEpoch) || !errors.Is(err, errNoSpace) || s != nil {
			t.Fatalf("disk full: %v, %v", s, err)
		}
		if !strings.Contains(err.Error(), "disk full or unwritable") {
			t.Errorf("error does not say what to check: %v", err)
		}
	}
	full.set(false)
	if n := mustSequencer(t, full).Next("lidar0"); n <= first {
		t.Fatalf("%d after the disk recovered, not above %d", n, first)
	}

	// A directory that cannot be created (its parent is a file): refused
	// too, also for root.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := OpenSequencer(DirFS(filepath.Join(file, "outbox"))); !errors.Is(err, ErrEpoch) {
		t.Fatalf("unwritable directory: %v", err)
	}
}

// TestSequencerRefusesCorruptEpoch: an unreadable seq.json says nothing
// about the numbers already used; starting over could repeat them.
func TestSequencerRefusesCorruptEpoch(t *testing.T) {
	dir := DirFS(t.TempDir())
	dir.WriteFile(seqFile, []byte("{garbage"))
	if _, err := OpenSequencer(dir); !errors.Is(err, ErrEpoch) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt seq.json: %v", err)
	}
	dir.WriteFile(seqFile, []byte(`{"epoch":2097151}`))
	if _, err := OpenSequencer(dir); !errors.Is(err, ErrEpoch) {
		t.Fatalf("epoch beyond MaxEpoch: %v", err)
	}
}

// TestSequencerAboveCountersOfEarlierVersions: seq.json of a version
// before the epoch holds per-key counters; the first epoch is above them.
func TestSequencerAboveCountersOfEarlierVersions(t *testing.T) {
	dir := DirFS(t.TempDir())
	dir.WriteFile(seqFile, []byte(`{"lidar0":41,"summary":7}`))
	s := mustSequencer(t, dir)
	if n := s.Next("lidar0"); n <= 41 || n != 1<<32|1 {
		t.Fatalf("first number %#x after counters up to 41", n)
	}
}

// legacyRecord is a message file as versions before the epoch wrote it,
// with sequence counters.
var legacyRecord = func() []byte {
	b := []byte(recordMagic)
	b = append(b, recordVersion, byte(1), 1, 1) // KindState, QoS 1, retained
	b = binary.LittleEndian.AppendUint16(b, 7)
	b = append(b, "t/lidar"...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = append(b, "{}"...)
	b = binary.LittleEndian.AppendUint16(b, 2)
	for _, k := range []string{"lidar0", "summary"} {
		b = append(b, byte(len(k)))
		b = append(b, k...)
		b = binary.LittleEndian.AppendUint64(b, 9)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}()

func TestReadsRecordsOfEarlierVersions(t *testing.T) {
	m, err := decodeRecord(legacyRecord)
	if err != nil || m.Topic != "t/lidar" || string(m.Payload) != "{}" || !m.Retained || m.QoS != 1 {
		t.Fatalf("%+v %v", m, err)
	}
}
