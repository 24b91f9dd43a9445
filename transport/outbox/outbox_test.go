package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/transport"
)

// fakeLink records what it is sent; while down it fails every send.
type fakeLink struct {
	mu   sync.Mutex
	down bool
	got  []transport.Message
}

func (l *fakeLink) Publish(ctx context.Context, m transport.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return errors.New("fake: not connected")
	}
	l.got = append(l.got, m)
	return nil
}

func (l *fakeLink) Connected() bool { l.mu.Lock(); defer l.mu.Unlock(); return !l.down }

func (l *fakeLink) setDown(d bool) { l.mu.Lock(); l.down = d; l.mu.Unlock() }

func (l *fakeLink) messages() []transport.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]transport.Message(nil), l.got...)
}

// failFS wraps an FS and fails writes while failing is set, like a full disk.
type failFS struct {
	FS
	mu      sync.Mutex
	failing bool
}

var errNoSpace = errors.New("write: no space left on device")

func (f *failFS) WriteFile(name string, data []byte) error {
	f.mu.Lock()
	failing := f.failing
	f.mu.Unlock()
	if failing {
		return errNoSpace
	}
	return f.FS.WriteFile(name, data)
}

func (f *failFS) set(v bool) { f.mu.Lock(); f.failing = v; f.mu.Unlock() }

func stateMsg(sensor string, seq int) transport.Message {
	return transport.Message{Topic: "t/" + sensor, Payload: fmt.Appendf(nil, `{"sensor":%q,"seq":%d}`, sensor, seq), QoS: 1, Retained: true, Kind: transport.KindState}
}

func beatMsg(sensor string, n int) transport.Message {
	return transport.Message{Topic: "t/" + sensor, Payload: fmt.Appendf(nil, `{"beat":%d}`, n), QoS: 1, Retained: true, Kind: transport.KindHeartbeat}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fastOpts() Options {
	o := DefaultOptions()
	o.RetryMin, o.RetryMax = time.Millisecond, 5*time.Millisecond
	return o
}

func TestDeliversInOrderAndCleansUp(t *testing.T) {
	dir := DirFS(t.TempDir())
	link := &fakeLink{}
	ob, err := Open(dir, link, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 1; i <= 50; i++ {
		if err := ob.Publish(ctx, stateMsg("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := link.messages()
	if len(got) != 50 {
		t.Fatalf("delivered %d, want 50", len(got))
	}
	for i, m := range got {
		if want := stateMsg("a", i+1); !bytes.Equal(m.Payload, want.Payload) {
			t.Fatalf("message %d = %s, want %s", i, m.Payload, want.Payload)
		}
	}
	names, _ := dir.List()
	if len(names) != 0 {
		t.Fatalf("files left after delivery: %v", names)
	}
	if err := ob.Publish(ctx, stateMsg("a", 51)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
}

func TestSurvivesRestartDuringOutage(t *testing.T) {
	dir := DirFS(t.TempDir())
	link := &fakeLink{down: true}
	ob, err := Open(dir, link, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		ob.Publish(ctx, stateMsg("a", i))
		ob.Publish(ctx, beatMsg("b", i)) // not durable: lost on restart, by design
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	err = ob.Close(short)
	cancel()
	if err == nil {
		t.Fatal("close with undeliverable messages reported no error")
	}

	// Restart: new outbox, same directory; the link is back.
	link2 := &fakeLink{}
	ob2, err := Open(dir, link2, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if s := ob2.Stats(); s.Loaded != 5 {
		t.Fatalf("loaded %d messages, want 5", s.Loaded)
	}
	for i := 6; i <= 8; i++ {
		ob2.Publish(ctx, stateMsg("a", i))
	}
	if err := ob2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := link2.messages()
	if len(got) != 8 {
		t.Fatalf("delivered %d, want 8", len(got))
	}
	for i, m := range got {
		if want := stateMsg("a", i+1); !bytes.Equal(m.Payload, want.Payload) {
			t.Fatalf("message %d = %s, want %s (the earlier run's first, in order)", i, m.Payload, want.Payload)
		}
	}
}

func TestDiskFullKeepsRunningFromMemory(t *testing.T) {
	fsys := &failFS{FS: DirFS(t.TempDir()), failing: true}
	var logbuf syncBuffer
	opt := fastOpts()
	opt.Log = zerolog.New(&logbuf)
	link := &fakeLink{down: true}
	ob, err := Open(fsys, link, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 1; i <= 20; i++ {
		if err := ob.Publish(ctx, stateMsg("a", i)); err != nil {
			t.Fatalf("publish with a full disk: %v", err)
		}
	}
	s := ob.Stats()
	if s.DiskOK || s.DiskErrors < 20 || s.Queued != 20 || s.QueuedDisk != 0 {
		t.Fatalf("stats with a full disk: %+v", s)
	}
	logs := logbuf.String()
	if n := strings.Count(logs, "no space left on device"); n != 1 {
		t.Fatalf("want exactly one error line about the disk, got %d:\n%s", n, logs)
	}
	if !strings.Contains(logs, `"level":"error"`) || !strings.Contains(logs, "memory only") {
		t.Fatalf("error not clear:\n%s", logs)
	}
	link.setDown(false)
	waitFor(t, "delivery from memory", func() bool { return len(link.messages()) == 20 })
	for i, m := range link.messages() {
		if want := stateMsg("a", i+1); !bytes.Equal(m.Payload, want.Payload) {
			t.Fatalf("message %d = %s, want %s", i, m.Payload, want.Payload)
		}
	}
	fsys.set(false)
	ob.Publish(ctx, stateMsg("a", 21))
	waitFor(t, "recovery", func() bool { return ob.Stats().DiskOK })
	if !strings.Contains(logbuf.String(), "writable again") {
		t.Fatal("recovery not logged")
	}
	if err := ob.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDiskRecoveryPersistsMemoryOnlyMessages: changes published while the
// disk failed are written once it works again, so they survive a restart.
func TestDiskRecoveryPersistsMemoryOnlyMessages(t *testing.T) {
	dir := DirFS(t.TempDir())
	fsys := &failFS{FS: dir, failing: true}
	ob, _ := Open(fsys, &fakeLink{down: true}, fastOpts())
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		ob.Publish(ctx, stateMsg("a", i))
	}
	if s := ob.Stats(); s.QueuedDisk != 0 {
		t.Fatalf("on disk while the disk fails: %+v", s)
	}
	fsys.set(false)
	ob.Publish(ctx, stateMsg("a", 4))
	if s := ob.Stats(); s.QueuedDisk != 4 || !s.DiskOK {
		t.Fatalf("after recovery: %+v", s)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	ob.Close(short)
	cancel()
	link := &fakeLink{}
	ob2, _ := Open(dir, link, fastOpts())
	ob2.Close(ctx)
	if got := len(link.messages()); got != 4 {
		t.Fatalf("after a restart %d messages sent, want 4", got)
	}
	for i, m := range link.messages() {
		if want := stateMsg("a", i+1); !bytes.Equal(m.Payload, want.Payload) {
			t.Fatalf("message %d = %s, want %s", i, m.Payload, want.Payload)
		}
	}
}

func TestEvictionOrderAndCoalescing(t *testing.T) {
	opt := fastOpts()
	opt.MaxMessages = 4
	// After its first failed send the sender waits until the link comes
	// up, so nothing is in flight while the queue fills.
	opt.RetryMin, opt.RetryMax = time.Hour, time.Hour
	link := &fakeLink{down: true}
	ob, _ := Open(DirFS(t.TempDir()), link, opt)
	ctx := context.Background()
	// Coalescing: five heartbeats on one topic leave one.
	for i := 1; i <= 5; i++ {
		ob.Publish(ctx, beatMsg("b", i))
	}
	waitFor(t, "in flight", func() bool { return ob.Stats().SendErrors > 0 })
	ob.Publish(ctx, stateMsg("a", 1))
	ob.Publish(ctx, stateMsg("a", 2))
	ob.Publish(ctx, beatMsg("c", 1))
	// Full (4). A state change evicts the oldest heartbeat, not a state change.
	ob.Publish(ctx, stateMsg("a", 3))
	ob.Publish(ctx, stateMsg("a", 4))
	// Only state changes left: a heartbeat newcomer is the one dropped.
	ob.Publish(ctx, beatMsg("c", 2))
	// A state change when only state changes are queued drops the oldest one.
	ob.Publish(ctx, stateMsg("a", 5))
	s := ob.Stats()
	if s.Queued != 4 || s.Dropped != 4 || s.DroppedDur != 1 {
		t.Fatalf("stats %+v", s)
	}
	link.setDown(false)
	if err := ob.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range link.messages() {
		got = append(got, string(m.Payload))
	}
	want := []string{`{"sensor":"a","seq":2}`, `{"sensor":"a","seq":3}`, `{"sensor":"a","seq":4}`, `{"sensor":"a","seq":5}`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("delivered\n%v\nwant\n%v", got, want)
	}
}

// gateLink hands each message to the test and returns what the test sends back.
type gateLink struct {
	entered chan transport.Message
	result  chan error
}

func (l *gateLink) Publish(ctx context.Context, m transport.Message) error {
	select {
	case l.entered <- m:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-l.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *gateLink) Connected() bool { return true }

// TestInFlightCountsAgainstBound: the message being sent is held too, and
// is the oldest: a full queue evicts it like a queued one, and a failed
// send does not bring it back.
func TestInFlightCountsAgainstBound(t *testing.T) {
	opt := fastOpts()
	opt.MaxMessages = 2
	link := &gateLink{entered: make(chan transport.Message), result: make(chan error)}
	dir := DirFS(t.TempDir())
	ob, _ := Open(dir, link, opt)
	ctx := context.Background()
	next := func() string { return string((<-link.entered).Payload) }

	ob.Publish(ctx, beatMsg("b", 1))
	if got := next(); got != `{"beat":1}` {
		t.Fatalf("in flight %s", got)
	}
	ob.Publish(ctx, stateMsg("a", 1))
	ob.Publish(ctx, stateMsg("a", 2)) // full: the heartbeat in flight goes
	if s := ob.Stats(); s.Queued != 2 || s.QueuedDisk != 2 || s.Dropped != 1 || s.DroppedDur != 0 {
		t.Fatalf("stats with the heartbeat in flight evicted: %+v", s)
	}
	link.result <- errors.New("fake: broker went away")
	if got := next(); got != `{"sensor":"a","seq":1}` {
		t.Fatalf("after the evicted message failed, sent %s", got)
	}
	ob.Publish(ctx, stateMsg("a", 3)) // full: the oldest state change, in flight, goes
	if s := ob.Stats(); s.Queued != 2 || s.Dropped != 2 || s.DroppedDur != 1 {
		t.Fatalf("stats with a state change in flight evicted: %+v", s)
	}
	if names, _ := dir.List(); len(names) != 2 {
		t.Fatalf("files %v, want the two state changes held", names)
	}
	link.result <- nil // the evicted one got through after all
	for _, want := range []string{`{"sensor":"a","seq":2}`, `{"sensor":"a","seq":3}`} {
		if got := next(); got != want {
			t.Fatalf("sent %s, want %s", got, want)
		}
		link.result <- nil
	}
	if err := ob.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := ob.Stats(); s.Queued != 0 || s.Sent != 3 || s.Dropped != 2 {
		t.Fatalf("final stats %+v", s)
	}
	if names, _ := dir.List(); len(names) != 0 {
		t.Fatalf("files left %v", names)
	}
}

func TestHeartbeatSupersededByStateChange(t *testing.T) {
	link := &fakeLink{down: true}
	ob, _ := Open(DirFS(t.TempDir()), link, fastOpts())
	ctx := context.Background()
	ob.Publish(ctx, stateMsg("x", 0)) // occupies the in-flight slot
	waitFor(t, "in flight", func() bool { return ob.Stats().SendErrors > 0 })
	ob.Publish(ctx, beatMsg("a", 1))
	ob.Publish(ctx, stateMsg("a", 1))
	ob.Publish(ctx, beatMsg("a", 2))
	link.setDown(false)
	ob.Close(ctx)
	var got []string
	for _, m := range link.messages() {
		got = append(got, string(m.Payload))
	}
	want := `{"sensor":"x","seq":0} {"sensor":"a","seq":1} {"beat":2}`
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

// TestSummaryChangesAreNotCoalesced: summary changes are numbered like
// state changes, and a consumer takes a gap for a lost change; only the
// heartbeat between them may go.
func TestSummaryChangesAreNotCoalesced(t *testing.T) {
	link := &fakeLink{down: true}
	ob, _ := Open(DirFS(t.TempDir()), link, fastOpts())
	ctx := context.Background()
	ob.Publish(ctx, stateMsg("x", 0)) // occupies the in-flight slot
	waitFor(t, "in flight", func() bool { return ob.Stats().SendErrors > 0 })
	sum := func(seq int, kind transport.Kind) transport.Message {
		return transport.Message{Topic: "t/summary", Payload: fmt.Appendf(nil, `{"summary":%d}`, seq), QoS: 1, Retained: true, Kind: kind}
	}
	ob.Publish(ctx, sum(1, transport.KindSummary))
	ob.Publish(ctx, sum(1, transport.KindHeartbeat))
	ob.Publish(ctx, sum(2, transport.KindSummary))
	link.setDown(false)
	ob.Close(ctx)
	var got []string
	for _, m := range link.messages() {
		got = append(got, string(m.Payload))
	}
	want := `{"sensor":"x","seq":0} {"summary":1} {"summary":2}`
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

func TestCorruptFilesAreDropped(t *testing.T) {
	dir := DirFS(t.TempDir())
	good, _ := encodeRecord(stateMsg("a", 1))
	dir.WriteFile(msgName(7), good)
	dir.WriteFile(msgName(3), []byte("TAOB garbage"))
	dir.WriteFile(msgName(5)+".tmp", good)
	link := &fakeLink{}
	ob, err := Open(dir, link, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	ob.Close(context.Background())
	if len(link.messages()) != 1 {
		t.Fatalf("delivered %d, want 1", len(link.messages()))
	}
	if names, _ := dir.List(); len(names) != 0 {
		t.Fatalf("left %v, want nothing", names)
	}
}

func TestValidate(t *testing.T) {
	if err := (Options{MaxMessages: -1}).Validate(); err == nil {
		t.Fatal("negative max messages accepted")
	}
	if err := (Options{RetryMin: time.Second, RetryMax: time.Millisecond}).Validate(); err == nil {
		t.Fatal("retry max < min accepted")
	}
	if err := (Options{}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, m := range []transport.Message{stateMsg("a", 1), beatMsg("b", 2), {Topic: "x", Kind: transport.KindReply}} {
		b, _ := encodeRecord(m)
		f.Add(b)
	}
	f.Add(legacyRecord)
	f.Add([]byte("TAOB"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := encodeRecord(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := decodeRecord(again)
		if err != nil || m2.Topic != m.Topic || !bytes.Equal(m2.Payload, m.Payload) || m2.Kind != m.Kind || m2.QoS != m.QoS || m2.Retained != m.Retained {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
