package outbox

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/transport"
)

// Link is the network side of the outbox; *mqtt.Client implements it.
//
// Publish must return nil only once the broker has the message (PUBACK for
// QoS 1) and must keep a message it has accepted across reconnects itself,
// or fail it; Connected reports whether the connection is up right now.
type Link interface {
	Publish(ctx context.Context, m transport.Message) error
	Connected() bool
}

// Options configure an Outbox. The zero value of a field means its default.
type Options struct {
	MaxMessages int            // queue bound in messages; default 10000
	MaxBytes    int            // queue bound in topic+payload bytes; default 16 MiB
	RetryMin    time.Duration  // first wait after a failed send; default 200 ms
	RetryMax    time.Duration  // longest wait between failed sends; default 10 s
	Log         zerolog.Logger // default: no logging
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{MaxMessages: 10000, MaxBytes: 16 << 20, RetryMin: 200 * time.Millisecond, RetryMax: 10 * time.Second, Log: zerolog.Nop()}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxMessages == 0 {
		o.MaxMessages = d.MaxMessages
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = d.MaxBytes
	}
	if o.RetryMin == 0 {
		o.RetryMin = d.RetryMin
	}
	if o.RetryMax == 0 {
		o.RetryMax = d.RetryMax
	}
	return o
}

// Validate checks the options without touching the disk.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.MaxMessages < 1:
		return fmt.Errorf("outbox: max messages %d < 1", o.MaxMessages)
	case o.MaxBytes < 1024:
		return fmt.Errorf("outbox: max bytes %d < 1024", o.MaxBytes)
	case o.RetryMin <= 0 || o.RetryMax < o.RetryMin:
		return fmt.Errorf("outbox: retry interval %v..%v invalid", o.RetryMin, o.RetryMax)
	}
	return nil
}

// Stats are the outbox's counters since Open.
type Stats struct {
	Queued     int    // messages waiting, the one in flight included
	QueuedDisk int    // of which persisted
	Loaded     int    // messages found on disk at Open
	Published  uint64 // accepted by Publish
	Sent       uint64 // acknowledged by the link
	Coalesced  uint64 // replaced by a newer message on the same topic before sending
	Dropped    uint64 // evicted because the queue was full (one evicted in flight counts even if that send succeeds)
	DroppedDur uint64 // of which durable kinds (state changes, summaries)
	SendErrors uint64 // failed sends (retried)
	DiskErrors uint64 // failed writes or removals
	DiskOK     bool   // the last disk operation succeeded
}

type entry struct {
	id      uint64
	m       transport.Message
	onDisk  bool
	evicted bool // dropped for room while in flight: not queued again
	elem    *list.Element
}

func (e *entry) size() int { return len(e.m.Topic) + len(e.m.Payload) }

// Outbox is a durable bounded queue in front of a Link. It implements
// transport.Publisher.
type Outbox struct {
	fs   FS
	link Link
	opt  Options
	log  zerolog.Logger

	mu       sync.Mutex        // guards the fields below
	queue    *list.List        // of *entry, oldest first; excludes the one in flight
	latest   map[string]*entry // coalescible entry per topic, queued (not in flight)
	inflight *entry            // the front of the queue while the sender has it
	bytes    int               // of the queued entries and the one in flight
	nextID   uint64
	stats    Stats
	closing  bool
	wake     chan struct{} // capacity 1: something was queued or closing began

	cancel context.CancelFunc
	done   chan struct{}
}

var _ transport.Publisher = (*Outbox)(nil)

// Open loads what an earlier run left in fsys, and starts sending to link.
// Unreadable files are logged and removed; a directory that cannot be read
// is logged and the outbox starts empty, in memory. Open does no network I/O.
func Open(fsys FS, link Link, opt Options) (*Outbox, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if fsys == nil || link == nil {
		return nil, errors.New("outbox: nil FS or link")
	}
	opt = opt.withDefaults()
	o := &Outbox{
		fs: fsys, link: link, opt: opt, log: opt.Log,
		queue: list.New(), latest: map[string]*entry{}, nextID: 1,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	o.stats.DiskOK = true
	o.load()
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	go o.run(ctx)
	return o, nil
}

// Publish queues m. A durable kind is on disk when Publish returns nil
// (or in memory only, if the disk failed: see Stats.DiskOK).
func (o *Outbox) Publish(ctx context.Context, m transport.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.Topic == "" || m.QoS > 2 {
		return fmt.Errorf("outbox: invalid message (topic %q, qos %d)", m.Topic, m.QoS)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing {
		return transport.ErrClosed
	}
	e := &entry{id: o.nextID, m: m}
	o.nextID++
	if e.size() > o.opt.MaxBytes {
		return fmt.Errorf("outbox: message of %d bytes exceeds the outbox size %d", e.size(), o.opt.MaxBytes)
	}
	o.stats.Published++
	o.supersede(e)
	if !o.makeRoom(e) {
		o.dropped(e)
		return nil
	}
	if m.Kind.Durable() {
		wasOK := o.stats.DiskOK
		o.persist(e)
		if e.onDisk && !wasOK {
			o.persistQueued() // the disk is back: make the memory-only ones durable too
		}
	}
	o.push(e)
	return nil
}

// persistQueued writes the queued durable messages that only live in
// memory because the disk failed when they were published.
func (o *Outbox) persistQueued() {
	n := 0
	if e := o.live(); e != nil && e.m.Kind.Durable() && !e.onDisk {
		o.persist(e) // sent() reads onDisk under o.mu, so it removes the file if it exists
		n++
	}
	for el := o.queue.Front(); el != nil && o.stats.DiskOK; el = el.Next() {
		if e := el.Value.(*entry); e.m.Kind.Durable() && !e.onDisk {
			o.persist(e)
			n++
		}
	}
	if n > 0 {
		o.log.Info().Int("messages", n).Msg("outbox: wrote messages kept in memory while the disk failed")
	}
}

// supersede removes queued messages that e makes worthless: an older
// coalescible message on the same topic.
func (o *Outbox) supersede(e *entry) {
	old, ok := o.latest[e.m.Topic]
	if !ok {
		return
	}
	delete(o.latest, e.m.Topic)
	o.remove(old)
	o.stats.Coalesced++
}

// makeRoom evicts until e fits; it returns false if e itself is the one to go.
// The message in flight counts against the bounds and is the oldest one, so
// what is evicted does not depend on whether the sender holds a message.
func (o *Outbox) makeRoom(e *entry) bool {
	for o.count()+1 > o.opt.MaxMessages || o.bytes+e.size() > o.opt.MaxBytes {
		victim := o.victim()
		if victim == nil || victim.m.Kind.Priority() > e.m.Kind.Priority() {
			return false // e is the oldest of the lowest priority: the newcomer loses
		}
		if victim == o.inflight {
			// The send in progress may still succeed; if it fails, putBack
			// does not queue it again.
			victim.evicted = true
			o.bytes -= victim.size()
			o.unpersist(victim)
		} else {
			o.remove(victim)
			if o.latest[victim.m.Topic] == victim {
				delete(o.latest, victim.m.Topic)
			}
		}
		o.dropped(victim)
	}
	return true
}

// live is the message in flight, or nil if there is none or it was evicted.
func (o *Outbox) live() *entry {
	if e := o.inflight; e != nil && !e.evicted {
		return e
	}
	return nil
}

// count is the number of messages held, the one in flight included.
func (o *Outbox) count() int {
	n := o.queue.Len()
	if o.live() != nil {
		n++
	}
	return n
}

// victim is the oldest held entry of the lowest priority.
func (o *Outbox) victim() *entry {
	v := o.live()
	for el := o.queue.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		if v == nil || e.m.Kind.Priority() < v.m.Kind.Priority() {
			v = e
		}
	}
	return v
}

func (o *Outbox) dropped(e *entry) {
	o.stats.Dropped++
	if e.m.Kind.Durable() {
		o.stats.DroppedDur++
		o.log.Error().Str("topic", e.m.Topic).Stringer("kind", e.m.Kind).Msg("outbox full: dropped a durable message")
	} else if o.stats.Dropped&(o.stats.Dropped-1) == 0 { // powers of two: 1, 2, 4, …
		o.log.Warn().Str("topic", e.m.Topic).Stringer("kind", e.m.Kind).Uint64("dropped", o.stats.Dropped).Msg("outbox full: dropping oldest low-priority messages")
	}
}

func (o *Outbox) push(e *entry) {
	e.elem = o.queue.PushBack(e)
	o.bytes += e.size()
	if e.m.Kind.Coalesces() {
		o.latest[e.m.Topic] = e
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// remove takes a queued entry out of the queue and off the disk.
func (o *Outbox) remove(e *entry) {
	o.queue.Remove(e.elem)
	o.bytes -= e.size()
	o.unpersist(e)
}

func (o *Outbox) persist(e *entry) {
	b, err := encodeRecord(e.m)
	if err == nil {
		err = o.fs.WriteFile(msgName(e.id), b)
	}
	o.diskResult("write", err)
	e.onDisk = err == nil
}

// unpersist deletes e's file.
func (o *Outbox) unpersist(e *entry) {
	if !e.onDisk {
		return
	}
	err := o.fs.Remove(msgName(e.id))
	o.diskResult("remove", err)
	if err == nil {
		e.onDisk = false
	}
}

// diskResult counts a disk operation and logs on each change between
// working and failing, so a full disk gives one error line, not thousands.
func (o *Outbox) diskResult(op string, err error) {
	if err != nil {
		o.stats.DiskErrors++
		if o.stats.DiskOK {
			o.log.Error().Err(err).Str("op", op).Msg("outbox: cannot use the state directory (disk full or unwritable?); keeping messages in memory only, they will not survive a restart")
		}
		o.stats.DiskOK = false
		return
	}
	if !o.stats.DiskOK {
		o.log.Info().Str("op", op).Msg("outbox: state directory writable again")
	}
	o.stats.DiskOK = true
}

// Stats returns a snapshot of the counters.
func (o *Outbox) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.stats
	s.Queued = o.count()
	for el := o.queue.Front(); el != nil; el = el.Next() {
		if el.Value.(*entry).onDisk {
			s.QueuedDisk++
		}
	}
	if e := o.live(); e != nil && e.onDisk {
		s.QueuedDisk++
	}
	return s
}

// Close stops accepting messages and sends what is queued until the queue
// is empty or ctx is done; durable messages not sent stay on disk for the
// next Open. It does not close the link.
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		<-o.done
		return nil
	}
	o.closing = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	select {
	case <-o.done:
		return nil
	case <-ctx.Done():
	}
	o.cancel()
	<-o.done
	n := o.Stats().Queued
	if n > 0 {
		return fmt.Errorf("outbox: closed with %d messages unsent: %w", n, ctx.Err())
	}
	return nil
}

// run sends queued messages one at a time until closed.
func (o *Outbox) run(ctx context.Context) {
	defer close(o.done)
	defer o.cancel()
	wait := o.opt.RetryMin
	for {
		e := o.take(ctx)
		if e == nil {
			return
		}
		if e.m.QoS == 0 && !o.waitConnected(ctx) {
			o.putBack(e)
			return
		}
		err := o.link.Publish(ctx, e.m)
		if err == nil {
			o.sent(e)
			wait = o.opt.RetryMin
			continue
		}
		o.putBack(e)
		if ctx.Err() != nil {
			return
		}
		o.mu.Lock()
		o.stats.SendErrors++
		n := o.stats.SendErrors
		o.mu.Unlock()
		if n&(n-1) == 0 {
			o.log.Warn().Err(err).Str("topic", e.m.Topic).Uint64("send_errors", n).Dur("retry_in", wait).Msg("outbox: send failed; retrying")
		}
		if !o.sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, o.opt.RetryMax)
	}
}

// take blocks until there is a message to send, and marks it in flight.
// It returns nil when ctx is done, or when closing and the queue is empty.
func (o *Outbox) take(ctx context.Context) *entry {
	for {
		o.mu.Lock()
		if el := o.queue.Front(); el != nil {
			e := o.queue.Remove(el).(*entry)
			if o.latest[e.m.Topic] == e {
				delete(o.latest, e.m.Topic)
			}
			o.inflight = e
			o.mu.Unlock()
			return e
		}
		closing := o.closing
		o.mu.Unlock()
		if closing {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-o.wake:
		}
	}
}

// putBack returns the in-flight entry to the front of the queue, unless it
// was evicted or a newer message on its topic superseded it meanwhile.
func (o *Outbox) putBack(e *entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inflight = nil
	if e.evicted {
		return
	}
	if e.m.Kind.Coalesces() {
		if _, newer := o.latest[e.m.Topic]; newer {
			o.bytes -= e.size()
			o.unpersist(e)
			o.stats.Coalesced++
			return
		}
		o.latest[e.m.Topic] = e
	}
	e.elem = o.queue.PushFront(e)
}

// sent forgets an acknowledged message. The removal runs without o.mu, so
// Publish does not wait for the sender's disk work.
func (o *Outbox) sent(e *entry) {
	o.mu.Lock()
	o.inflight = nil
	if !e.evicted {
		o.bytes -= e.size()
	}
	o.stats.Sent++
	onDisk := e.onDisk
	o.mu.Unlock()
	if !onDisk {
		return
	}
	rmErr := o.fs.Remove(msgName(e.id))
	o.mu.Lock()
	defer o.mu.Unlock()
	o.diskResult("remove", rmErr)
	if rmErr == nil {
		e.onDisk = false
	}
}

// sleep waits d, or less when the link comes up meanwhile; false when ctx ends.
func (o *Outbox) sleep(ctx context.Context, d time.Duration) bool {
	end := time.NewTimer(d)
	defer end.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	was := o.link.Connected()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-end.C:
			return true
		case <-poll.C:
			if now := o.link.Connected(); now && !was {
				return true
			} else {
				was = now
			}
		}
	}
}

func (o *Outbox) waitConnected(ctx context.Context) bool {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !o.link.Connected() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// load reads the messages an earlier run left.
func (o *Outbox) load() {
	names, err := o.fs.List()
	if err != nil {
		o.diskResult("list", err)
		return
	}
	for _, name := range names {
		if strings.HasSuffix(name, ".tmp") {
			o.diskResult("remove", o.fs.Remove(name))
			continue
		}
		id, ok := parseMsgName(name)
		if !ok {
			continue
		}
		b, err := o.fs.ReadFile(name)
		var m transport.Message
		if err == nil {
			m, err = decodeRecord(b)
		}
		if err != nil {
			o.log.Error().Err(err).Str("file", name).Msg("outbox: dropping unreadable message file")
			o.diskResult("remove", o.fs.Remove(name))
			continue
		}
		e := &entry{id: id, m: m, onDisk: true}
		o.nextID = max(o.nextID, id+1)
		o.supersede(e)
		if !o.makeRoom(e) {
			o.dropped(e)
			o.unpersist(e)
			continue
		}
		o.push(e)
		o.stats.Loaded++
	}
	if o.stats.Loaded > 0 {
		o.log.Info().Int("messages", o.stats.Loaded).Msg("outbox: resending messages left by the previous run")
	}
}
