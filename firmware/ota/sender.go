package ota

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults of SenderOptions.
const (
	DefaultChunkSize     = 64 << 10
	DefaultAckTimeout    = 10 * time.Second
	DefaultCommitTimeout = 2 * time.Minute
	DefaultRetries       = 5
)

// SenderOptions configure Push.
type SenderOptions struct {
	Prefix        string        // the robot's topic prefix, e.g. "trust/v1/robot7"; required
	ChunkSize     int           // bytes per chunk; default DefaultChunkSize
	AckTimeout    time.Duration // wait for a chunk's or query's status; default DefaultAckTimeout
	CommitTimeout time.Duration // wait for the install outcome; default DefaultCommitTimeout
	Retries       int           // consecutive timeouts tolerated; default DefaultRetries
	// Progress, if set, is called with the bytes the receiver has stored.
	Progress func(stored, total int)
}

func (o *SenderOptions) validate() error {
	if o.Prefix == "" {
		return errors.New("ota: sender: Prefix is required")
	}
	if o.ChunkSize < 0 || o.AckTimeout < 0 || o.CommitTimeout < 0 || o.Retries < 0 {
		return errors.New("ota: sender: negative option")
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	if o.CommitTimeout == 0 {
		o.CommitTimeout = DefaultCommitTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	return nil
}

// Result describes a finished push.
type Result struct {
	Transfer    TransferID
	ResumedFrom int    // offset this push started sending from (> 0 when it resumed)
	Sent        int    // chunk bytes this push sent
	Status      Status // the receiver's final status
}

// RejectedError is returned when the receiver refuses the bundle or cannot
// store it; Status.Code and Status.Error say why.
type RejectedError struct {
	Status Status
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("ota: robot %s the bundle: %s: %s", e.Status.State, e.Status.Code, e.Status.Error)
}

// ErrNoReply is returned when the receiver stays silent through all retries.
var ErrNoReply = errors.New("ota: no reply from the robot")

// Push sends bundle to the robot whose topics start with opts.Prefix and
// waits until it is installed or refused. It first asks the receiver how
// much of this bundle it already holds and resumes from there; it sends
// one chunk at a time and waits for the status acknowledging it (a lost
// chunk or status costs one AckTimeout, then a query re-synchronises).
func Push(ctx context.Context, c Client, bundle []byte, opts SenderOptions) (*Result, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if len(bundle) == 0 || uint64(len(bundle)) > math.MaxUint32 {
		return nil, fmt.Errorf("ota: bundle of %d bytes", len(bundle))
	}
	p := &pusher{c: c, data: bundle, opts: opts, id: IDOf(bundle), size: uint32(len(bundle)),
		statuses: make(chan *Status, 64)}
	p.digest = sha256.Sum256(bundle)
	topic := StatusTopic(opts.Prefix)
	if err := c.Subscribe(ctx, topic, p.onStatus); err != nil {
		return nil, fmt.Errorf("ota: subscribe %s: %w", topic, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		c.Unsubscribe(uctx, topic)
	}()
	return p.run(ctx)
}

type pusher struct {
	c        Client
	data     []byte
	opts     SenderOptions
	id       TransferID
	size     uint32
	digest   [sha256.Size]byte
	statuses chan *Status
}

// onStatus runs on the client's goroutine: parse, filter, never block.
func (p *pusher) onStatus(payload []byte) {
	s, err := ParseStatus(payload)
	if err != nil || s.Transfer != p.id.String() {
		return
	}
	for {
		select {
		case p.statuses <- s:
			return
		default:
			select { // full: drop the oldest
			case <-p.statuses:
			default:
			}
		}
	}
}

func (p *pusher) run(ctx context.Context) (*Result, error) {
	res := &Result{Transfer: p.id, ResumedFrom: -1}
	st, err := p.ask(ctx, KindQuery, p.opts.AckTimeout)
	if err != nil {
		return res, err
	}
	failures := 0
	for {
		switch {
		case st.State == StateInstalled:
			res.Status = *st
			if res.ResumedFrom < 0 {
				res.ResumedFrom = int(p.size)
			}
			return res, nil
		case st.State == StateRejected && st.Code != "digest_mismatch":
			res.Status = *st
			return res, &RejectedError{Status: *st}
		case st.State == StateFailed || st.State == StateRejected:
			if failures++; failures > p.opts.Retries {
				res.Status = *st
				return res, &RejectedError{Status: *st}
			}
		}
		off := uint32(0)
		if st.State == StateReceiving && st.NextOffset <= p.size {
			off = st.NextOffset
		}
		if res.ResumedFrom < 0 {
			res.ResumedFrom = int(off)
		}
		if off < p.size {
			if st, err = p.sendFrom(ctx, off, res); err != nil {
				return res, err
			}
			if st.State != StateReceiving || st.NextOffset != p.size {
				continue // refused or out of step: decide again
			}
		}
		if st, err = p.ask(ctx, KindCommit, p.opts.CommitTimeout); err != nil {
			return res, err
		}
	}
}

// sendFrom sends chunks from off, one at a time, each acknowledged by a
// status. It returns the last status seen.
func (p *pusher) sendFrom(ctx context.Context, off uint32, res *Result) (*Status, error) {
	misses := 0
	for off < p.size {
		end := min(uint64(off)+uint64(p.opts.ChunkSize), uint64(p.size))
		m := Message{Kind: KindChunk, Transfer: p.id, Size: p.size, Offset: off, Data: p.data[off:end]}
		if err := p.send(ctx, &m); err != nil {
			return nil, err
		}
		res.Sent += int(end) - int(off)
		st, err := p.wait(ctx, p.opts.AckTimeout, func(s *Status) bool {
			if s.ReplyTo != "" {
				return false // an answer to an earlier query or commit
			}
			// Acknowledged, a request to rewind (the receiver lacks earlier
			// bytes), or an outcome. NextOffset == off is the previous
			// chunk's acknowledgement delivered twice (QoS 1 allows it).
			return s.State != StateReceiving || s.NextOffset == uint32(end) || s.NextOffset < off
		})
		switch {
		case errors.Is(err, ErrNoReply):
			if misses++; misses > p.opts.Retries {
				return nil, err
			}
			if st, err = p.ask(ctx, KindQuery, p.opts.AckTimeout); err != nil {
				return nil, err
			}
			if st.State != StateReceiving {
				return st, nil
			}
			off = st.NextOffset
			continue
		case err != nil:
			return nil, err
		case st.State != StateReceiving:
			return st, nil
		}
		misses = 0
		off = st.NextOffset
		if p.opts.Progress != nil {
			p.opts.Progress(int(off), int(p.size))
		}
	}
	return &Status{Schema: 1, State: StateReceiving, Transfer: p.id.String(), Size: p.size, NextOffset: p.size}, nil
}

// ask sends a query or commit and waits for the status that answers it,
// retrying on silence.
func (p *pusher) ask(ctx context.Context, kind uint8, timeout time.Duration) (*Status, error) {
	for try := 0; ; try++ {
		var nonce [nonceSize]byte
		if _, err := rand.Read(nonce[:]); err != nil {
			return nil, fmt.Errorf("ota: nonce: %w", err)
		}
		m := Message{Kind: kind, Transfer: p.id, Size: p.size, Data: nonce[:]}
		if kind == KindCommit {
			m.Data = append(p.digest[:len(p.digest):len(p.digest)], nonce[:]...)
		}
		if err := p.send(ctx, &m); err != nil {
			return nil, err
		}
		want := hex.EncodeToString(nonce[:])
		st, err := p.wait(ctx, timeout, func(s *Status) bool { return s.ReplyTo == want })
		if errors.Is(err, ErrNoReply) && try < p.opts.Retries {
			continue
		}
		return st, err
	}
}

func (p *pusher) send(ctx context.Context, m *Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, p.opts.AckTimeout)
	defer cancel()
	if err := p.c.Publish(pctx, CommandTopic(p.opts.Prefix), b, false); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("ota: publish: %w", err)
	}
	return nil
}

// wait returns the first status for this transfer that ok accepts.
func (p *pusher) wait(ctx context.Context, timeout time.Duration, ok func(*Status) bool) (*Status, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, fmt.Errorf("%w within %v", ErrNoReply, timeout)
		case s := <-p.statuses:
			if ok(s) {
				return s, nil
			}
		}
	}
}
