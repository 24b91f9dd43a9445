package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/agent"
)

// Errors of Subscribe and the event stream.
var (
	ErrTooManyClients = errors.New("dashboard: too many clients")
	ErrStopped        = errors.New("dashboard: hub stopped")
)

// Options configure a Hub. The zero value of every field but Status is a
// usable default.
type Options struct {
	// Status returns the agent's current snapshot, false while there is
	// none (the daemon starting). It is called from the hub's goroutine
	// at Rate and must be safe to call concurrently with the agent.
	Status func() (agent.Status, bool)
	// Rate is the period of snapshots (default 100 ms: 10 Hz).
	Rate time.Duration
	// History is how much of the past a newly opened page receives
	// (default 3 minutes).
	History time.Duration
	// MaxClients bounds the pages served at once (default 8).
	MaxClients int
	// ClientBuffer is how many events wait for a page before it loses
	// updates (default 32: 3 s of snapshots at 10 Hz).
	ClientBuffer int
	// WriteTimeout bounds one write to a page (default 10 s); a page that
	// takes longer is disconnected.
	WriteTimeout time.Duration
}

func (o *Options) fill() {
	if o.Rate == 0 {
		o.Rate = 100 * time.Millisecond
	}
	if o.History == 0 {
		o.History = 3 * time.Minute
	}
	if o.MaxClients == 0 {
		o.MaxClients = 8
	}
	if o.ClientBuffer == 0 {
		o.ClientBuffer = 32
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 10 * time.Second
	}
}

func (o *Options) validate() error {
	switch {
	case o.Status == nil:
		return errors.New("dashboard: no Status function")
	case o.Rate < 0 || o.History < 0 || o.WriteTimeout < 0:
		return fmt.Errorf("dashboard: negative duration (rate %v, history %v, write timeout %v)", o.Rate, o.History, o.WriteTimeout)
	case o.MaxClients < 0 || o.ClientBuffer < 0:
		return fmt.Errorf("dashboard: negative count (max clients %d, client buffer %d)", o.MaxClients, o.ClientBuffer)
	}
	return nil
}

// changeQueue is how many level changes may wait for the hub's goroutine;
// beyond it a change is counted as lost (the next snapshot still carries the
// level).
const changeQueue = 256

// Hub samples the agent and fans events out to the pages. Build it with
// New, run it once with Run; Tap and Handler may be used before Run starts.
type Hub struct {
	opts    Options
	page    page
	changes chan Change
	lost    atomic.Uint64 // changes dropped because the queue was full

	mu      sync.Mutex
	clients map[*client]struct{}
	hist    history
	stopped bool
	done    chan struct{} // closed when Run returns
	wg      sync.WaitGroup
}

// client is one page's queue of encoded events.
type client struct {
	ch      chan []byte
	dropped atomic.Uint64
}

// New validates opts, fills in the defaults and builds the hub. It starts
// nothing.
func New(opts Options) (*Hub, error) {
	opts.fill()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	pg, err := loadPage()
	if err != nil {
		return nil, err
	}
	return &Hub{
		opts:    opts,
		page:    pg,
		changes: make(chan Change, changeQueue),
		clients: map[*client]struct{}{},
		hist:    history{span: opts.History, points: map[string][]point{}},
		done:    make(chan struct{}),
	}, nil
}

// Run samples the agent at opts.Rate and pushes snapshots and changes to
// the pages until ctx is cancelled; then it ends every page's stream and
// returns once their handlers have let go of the hub.
func (h *Hub) Run(ctx context.Context) error {
	t := time.NewTicker(h.opts.Rate)
	defer t.Stop()
	defer h.stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-h.changes:
			h.change(c)
		case <-t.C:
			h.sample()
		}
	}
}

func (h *Hub) stop() {
	h.mu.Lock()
	if !h.stopped {
		h.stopped = true
		close(h.done)
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// sample takes one snapshot, records it and sends it to every page.
func (h *Hub) sample() {
	st, ok := h.opts.Status()
	if !ok {
		return
	}
	sanitize(&st)
	b, err := json.Marshal(st)
	if err != nil { // cannot happen once sanitized; never stop the hub over it
		return
	}
	msg := event("snapshot", b)
	h.mu.Lock()
	h.hist.addStatus(st)
	h.broadcastLocked(msg)
	h.mu.Unlock()
}

// change records a level change and sends it to every page at once.
func (h *Hub) change(c Change) {
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	msg := event("change", b)
	h.mu.Lock()
	h.hist.addChange(c)
	h.broadcastLocked(msg)
	h.mu.Unlock()
}

// broadcastLocked queues msg for every page; a page whose queue is full
// loses it.
func (h *Hub) broadcastLocked(msg []byte) {
	for c := range h.clients {
		select {
		case c.ch <- msg:
		default:
			c.dropped.Add(1)
		}
	}
}

// notify queues a change for the hub's goroutine without ever blocking
// the caller (the agent's pipeline).
func (h *Hub) notify(c Change) {
	select {
	case h.changes <- c:
	default:
		h.lost.Add(1)
	}
}

// subscribe adds a page and returns it with the history event it starts
// from.
func (h *Hub) subscribe() (*client, []byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, nil, ErrStopped
	}
	if len(h.clients) >= h.opts.MaxClients {
		return nil, nil, ErrTooManyClients
	}
	b, err := json.Marshal(&h.hist)
	if err != nil {
		return nil, nil, fmt.Errorf("dashboard: history: %w", err)
	}
	c := &client{ch: make(chan []byte, h.opts.ClientBuffer)}
	h.clients[c] = struct{}{}
	h.wg.Add(1)
	return c, event("history", b), nil
}

func (h *Hub) unsubscribe(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	h.wg.Done()
}

// event encodes one server-sent event; data is JSON, which has no line
// breaks.
func event(name string, data []byte) []byte {
	b := make([]byte, 0, len(name)+len(data)+16)
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// sanitize replaces values JSON cannot carry (NaN, ±Inf) by 0, so that one
// odd number never stops the page's updates.
func sanitize(st *agent.Status) {
	for i := range st.Sensors {
		s := &st.Sensors[i]
		for _, v := range []*float64{&s.Score, &s.Threshold, &s.HealthScore, &s.HealthWarn, &s.RateHz, &s.LatencyP95} {
			*v = finite(*v)
		}
	}
	if st.Host != nil {
		st.Host.Score = finite(st.Host.Score)
		for k, v := range st.Host.Features {
			st.Host.Features[k] = finite(v)
		}
	}
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
