package ota

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/firmware"
)

// Installer installs a verified bundle; *firmware.Store implements it.
type Installer interface {
	Install(ctx context.Context, data []byte) (*firmware.Active, error)
	Active() *firmware.Active
}

// Defaults of ReceiverOptions.
const (
	DefaultMaxSize  = 16 << 20
	DefaultMaxChunk = 1 << 20
)

// ReceiverOptions configure a Receiver.
type ReceiverOptions struct {
	Prefix      string                                  // topic prefix, e.g. "trust/v1/robot7"; required
	Dir         string                                  // directory for the partial transfer; required, created 0700
	MaxSize     int                                     // largest bundle accepted, bytes; default DefaultMaxSize
	MaxChunk    int                                     // largest chunk accepted, bytes; default DefaultMaxChunk
	OnInstalled func(context.Context, *firmware.Active) // called after each successful install, on the receiving goroutine
	Now         func() time.Time                        // clock for status times; default time.Now
}

func (o *ReceiverOptions) validate() error {
	if o.Prefix == "" {
		return errors.New("ota: receiver: Prefix is required")
	}
	if o.Dir == "" {
		return errors.New("ota: receiver: Dir is required")
	}
	if o.MaxSize < 0 || o.MaxChunk < 0 {
		return errors.New("ota: receiver: negative size limit")
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxChunk == 0 {
		o.MaxChunk = DefaultMaxChunk
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Files in ReceiverOptions.Dir.
const (
	partialData = "partial.bin"  // bytes received so far
	partialMeta = "partial.json" // transfer id and size of partial.bin
	lastStatus  = "last.json"    // last terminal status, so a re-push after a restart is answered
)

type partial struct {
	Transfer string `json:"transfer"`
	Size     uint32 `json:"size"`
}

// Receiver assembles bundles from <prefix>/cmd/model messages, persisting
// every chunk so a transfer resumes after a disconnect or a restart, and
// installs them through an Installer once the final digest matches.
type Receiver struct {
	inst Installer
	pub  Publisher
	opts ReceiverOptions

	mu   sync.Mutex
	cur  *partial // transfer in progress, nil if none
	next uint32   // bytes of cur received and synced
	last *Status  // last terminal status
}

// NewReceiver returns a Receiver; it reads any partial transfer left in
// opts.Dir by an earlier run.
func NewReceiver(inst Installer, pub Publisher, opts ReceiverOptions) (*Receiver, error) {
	if inst == nil || pub == nil {
		return nil, errors.New("ota: receiver: nil installer or publisher")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("ota: receiver: %w", err)
	}
	r := &Receiver{inst: inst, pub: pub, opts: opts}
	r.restore()
	return r, nil
}

// restore reloads the partial transfer; anything inconsistent is dropped
// (the sender then starts again from 0).
func (r *Receiver) restore() {
	if p, err := os.ReadFile(r.path(lastStatus)); err == nil {
		if s, err := ParseStatus(p); err == nil {
			r.last = s
		}
	}
	p, err := os.ReadFile(r.path(partialMeta))
	if err != nil {
		return
	}
	var m partial
	st, err := os.Stat(r.path(partialData))
	if err != nil || json.Unmarshal(p, &m) != nil || m.Size == 0 || int64(m.Size) > int64(r.opts.MaxSize) || st.Size() > int64(m.Size) {
		r.discard()
		return
	}
	r.cur, r.next = &m, uint32(st.Size())
}

func (r *Receiver) path(name string) string { return filepath.Join(r.opts.Dir, name) }

func (r *Receiver) discard() {
	os.Remove(r.path(partialMeta))
	os.Remove(r.path(partialData))
	r.cur, r.next = nil, 0
}

// Status returns the receiver's current status.
func (r *Receiver) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status(StateIdle, "")
}

// status builds a status for the current transfer (or state when none).
func (r *Receiver) status(state, replyTo string) Status {
	s := Status{Schema: 1, State: state, ReplyTo: replyTo, Time: r.opts.Now().UTC()}
	if r.cur != nil {
		s.State, s.Transfer, s.Size, s.NextOffset = StateReceiving, r.cur.Transfer, r.cur.Size, r.next
	}
	if a := r.inst.Active(); a != nil {
		s.Active = &ActiveModel{ModelID: a.Bundle.ModelID, Version: a.Bundle.Version, Slot: string(a.Slot), Sensor: firmware.KindName(a.Bundle.Kind)}
	}
	return s
}

func (r *Receiver) publish(ctx context.Context, s Status) error {
	p, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("ota: status: %w", err)
	}
	if err := r.pub.Publish(ctx, StatusTopic(r.opts.Prefix), p, true); err != nil {
		return fmt.Errorf("ota: publish status: %w", err)
	}
	return nil
}

// Handle processes one command message and publishes the resulting status.
// It returns the reason a message was refused or a transfer failed, for
// logging; the sender learns it from the status.
func (r *Receiver) Handle(ctx context.Context, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, herr := r.handle(ctx, payload)
	if perr := r.publish(ctx, s); perr != nil {
		return errors.Join(herr, perr)
	}
	return herr
}

func (r *Receiver) handle(ctx context.Context, payload []byte) (Status, error) {
	m, err := ParseMessage(payload)
	if err != nil {
		s := r.status(StateIdle, "")
		s.Code, s.Error = "protocol", err.Error()
		return s, err
	}
	id := m.Transfer.String()
	switch m.Kind {
	case KindAbort:
		if r.cur != nil && r.cur.Transfer == id {
			r.discard()
		}
		return r.status(StateIdle, ""), nil
	case KindQuery:
		if r.cur == nil || r.cur.Transfer != id {
			if r.last != nil && r.last.Transfer == id {
				s := *r.last
				s.ReplyTo, s.Time = m.Nonce(), r.opts.Now().UTC()
				return s, nil
			}
			s := r.status(StateIdle, m.Nonce())
			s.State, s.Transfer, s.Size, s.NextOffset = StateIdle, id, m.Size, 0
			return s, nil
		}
		return r.status(StateIdle, m.Nonce()), nil
	}
	if int64(m.Size) > int64(r.opts.MaxSize) {
		return r.terminal(id, m.Size, StateRejected, m.Nonce(), "too_large",
			fmt.Errorf("ota: bundle of %d bytes exceeds the limit of %d", m.Size, r.opts.MaxSize)), nil
	}
	if m.Kind == KindChunk {
		return r.chunk(m, id)
	}
	return r.commit(ctx, m, id)
}

func (r *Receiver) chunk(m *Message, id string) (Status, error) {
	if len(m.Data) > r.opts.MaxChunk {
		s := r.status(StateIdle, "")
		s.Code, s.Error = "protocol", fmt.Sprintf("chunk of %d bytes exceeds the limit of %d", len(m.Data), r.opts.MaxChunk)
		return s, errors.New("ota: " + s.Error)
	}
	if r.cur == nil || r.cur.Transfer != id || r.cur.Size != m.Size {
		if m.Offset != 0 {
			// A chunk of a transfer we do not hold: tell the sender to start over.
			s := r.status(StateIdle, "")
			s.State, s.Transfer, s.Size, s.NextOffset = StateReceiving, id, m.Size, 0
			return s, nil
		}
		if err := r.begin(id, m.Size); err != nil {
			return r.terminal(id, m.Size, StateFailed, "", firmware.Code(err), err), err
		}
	}
	switch end := m.Offset + uint32(len(m.Data)); {
	case m.Offset > r.next: // gap: a chunk went missing
		return r.status(StateIdle, ""), nil
	case end <= r.next: // duplicate
		return r.status(StateIdle, ""), nil
	default:
		if err := r.write(m.Data[r.next-m.Offset:]); err != nil {
			r.discard()
			return r.terminal(id, m.Size, StateFailed, "", firmware.Code(err), err), err
		}
		r.next = end
	}
	return r.status(StateIdle, ""), nil
}

// begin starts a new transfer, dropping any other partial one.
func (r *Receiver) begin(id string, size uint32) error {
	r.discard()
	p, err := json.Marshal(partial{Transfer: id, Size: size})
	if err != nil {
		return err
	}
	if err := writeFileSync(r.path(partialData), nil); err != nil {
		return err
	}
	if err := writeFileSync(r.path(partialMeta), p); err != nil {
		return err
	}
	r.cur, r.next = &partial{Transfer: id, Size: size}, 0
	return nil
}

// write appends data at r.next and syncs it.
func (r *Receiver) write(data []byte) error {
	f, err := os.OpenFile(r.path(partialData), os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("ota: %w", err)
	}
	// Truncate first: a write torn by a crash may have left bytes past r.next.
	if err = f.Truncate(int64(r.next)); err == nil {
		if _, err = f.WriteAt(data, int64(r.next)); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ota: store chunk: %w", err)
	}
	return nil
}

func (r *Receiver) commit(ctx context.Context, m *Message, id string) (Status, error) {
	nonce := m.Nonce()
	if r.cur == nil || r.cur.Transfer != id {
		if r.last != nil && r.last.Transfer == id {
			s := *r.last // already decided: say so again
			s.ReplyTo, s.Time = nonce, r.opts.Now().UTC()
			return s, nil
		}
		s := r.status(StateIdle, nonce)
		s.State, s.Transfer, s.Size, s.NextOffset = StateReceiving, id, m.Size, 0
		return s, nil
	}
	if r.next != m.Size {
		// Not complete: the reply names the next offset so the sender resumes.
		return r.status(StateIdle, nonce), nil
	}
	data, err := os.ReadFile(r.path(partialData))
	if err != nil {
		r.discard()
		return r.terminal(id, m.Size, StateFailed, nonce, "error", err), err
	}
	r.discard()
	digest := sha256.Sum256(data)
	if !bytes.Equal(digest[:], m.Data[:sha256.Size]) || uint32(len(data)) != m.Size {
		err := fmt.Errorf("ota: assembled bundle does not match the commit digest; send it again")
		return r.terminal(id, m.Size, StateRejected, nonce, "digest_mismatch", err), err
	}
	// Verifying is reported so an operator sees a slow self-test is running.
	vs := r.status(StateIdle, "")
	vs.State, vs.Transfer, vs.Size, vs.NextOffset = StateVerifying, id, m.Size, m.Size
	_ = r.publish(ctx, vs)
	a, err := r.inst.Install(ctx, data)
	if err != nil {
		state := StateRejected
		if firmware.Code(err) == "error" {
			state = StateFailed // I/O: the bundle may be fine, the device is not
		}
		return r.terminal(id, m.Size, state, nonce, firmware.Code(err), err), err
	}
	if r.opts.OnInstalled != nil {
		r.opts.OnInstalled(ctx, a)
	}
	return r.terminal(id, m.Size, StateInstalled, nonce, "", nil), nil
}

// terminal records and returns the final status of a transfer.
func (r *Receiver) terminal(id string, size uint32, state, nonce, code string, err error) Status {
	s := r.status(StateIdle, nonce)
	s.State, s.Transfer, s.Size, s.Code = state, id, size, code
	s.NextOffset = 0
	if state == StateInstalled {
		s.NextOffset = size
	}
	if err != nil {
		s.Error = err.Error()
	}
	last := s
	last.ReplyTo = ""
	r.last = &last
	if p, err := json.Marshal(last); err == nil {
		_ = writeFileSync(r.path(lastStatus), p) // best effort: only spares a re-send
	}
	return s
}

// Serve subscribes c to the command topic, publishes the current status
// and handles messages until ctx ends. Messages arriving faster than they
// are handled are dropped beyond a small queue; the protocol recovers them
// (the sender resends from the next offset the status reports).
func (r *Receiver) Serve(ctx context.Context, c Client) error {
	queue := make(chan []byte, 64)
	topic := CommandTopic(r.opts.Prefix)
	err := c.Subscribe(ctx, topic, func(p []byte) {
		select {
		case queue <- p:
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("ota: subscribe %s: %w", topic, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		c.Unsubscribe(uctx, topic)
	}()
	r.mu.Lock()
	s := r.status(StateIdle, "")
	r.mu.Unlock()
	if err := r.publish(ctx, s); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p := <-queue:
			_ = r.Handle(ctx, p) // outcome reported on the status topic
		}
	}
}

// writeFileSync writes a small file and syncs it. Not atomic: callers
// tolerate a torn file (they drop it as inconsistent).
func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("ota: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ota: write %s: %w", filepath.Base(name), err)
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
