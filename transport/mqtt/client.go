package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/transport"
)

// CommandFunc receives a command addressed to this robot: name is the last
// topic level of <prefix>/cmd/<name>, payload the raw bytes (untrusted).
// It runs on a Client goroutine, one command at a time.
type CommandFunc func(ctx context.Context, name string, payload []byte)

// Options are the parts of a Client that are not configuration.
type Options struct {
	Log       zerolog.Logger // default: no logging
	OnCommand CommandFunc    // nil: do not subscribe to commands
}

// Stats are the Client's counters.
type Stats struct {
	Connects         uint64 // successful connections, first one included
	ConnectionLosses uint64
	CommandsReceived uint64
	CommandsDropped  uint64 // arrived while the command queue was full
}

// Client is a paho MQTT client behind transport.Publisher. It implements
// outbox.Link too.
type Client struct {
	cfg    Config
	topics transport.Topics
	log    zerolog.Logger
	paho   paho.Client
	store  paho.Store // paho's in-flight store, consulted to tell an ack from a resend
	gate   *gate      // closed while a connection attempt has not reached resume
	tls    *tls.Config
	onCmd  CommandFunc

	cmds   chan inbound
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	connects, losses, cmdRecv, cmdDrop atomic.Uint64
	closed                             atomic.Bool
	startOnce                          sync.Once
	spawnMu                            sync.Mutex // orders wg.Add in go against wg.Wait in Close
	stopped                            bool       // under spawnMu: no more goroutines
}

// spawn runs f on a new goroutine tracked by wg, unless the client is closing.
func (c *Client) spawn(f func()) bool {
	c.spawnMu.Lock()
	defer c.spawnMu.Unlock()
	if c.stopped {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

type inbound struct {
	name    string
	payload []byte
}

var _ transport.Publisher = (*Client)(nil)

// New validates cfg (with defaults applied), reads the TLS files and the
// password, and returns a Client that is not yet connected: call Start or
// Connect.
func New(cfg Config, opt Options) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	pw, err := password(cfg)
	if err != nil {
		return nil, err
	}
	topics, _ := transport.NewTopics(cfg.TopicPrefix)
	ctx, cancel := context.WithCancel(context.Background())
	g := &gate{}
	g.close() // until the first connection
	c := &Client{cfg: cfg, topics: topics, log: opt.Log, onCmd: opt.OnCommand, gate: g, tls: tc,
		store: &gatedStore{paho.NewOrderedMemoryStore(), g}, cmds: make(chan inbound, 16), ctx: ctx, cancel: cancel}

	po := paho.NewClientOptions().
		AddBroker(cfg.Broker).
		SetClientID(cfg.ClientID).
		SetCleanSession(false).
		SetOrderMatters(false).
		SetStore(c.store). // resends after a reconnect in publication order
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(cfg.PingTimeout).
		SetConnectTimeout(cfg.ConnectTimeout).
		SetWriteTimeout(cfg.WriteTimeout).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(cfg.MaxReconnectInterval).
		SetConnectRetry(false).
		SetResumeSubs(false).                                                         // onConnect subscribes again after every connection
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) { g.close() }). // called synchronously before each attempt
		SetProtocolVersion(4).
		SetBinaryWill(topics.Status(), []byte(transport.StatusOffline), 1, true).
		SetDefaultPublishHandler(c.onMessage). // commands queued by the broker may arrive before Subscribe
		SetOnConnectHandler(c.onConnect).
		SetConnectionLostHandler(c.onConnectionLost)
	if tc != nil {
		po.SetTLSConfig(tc)
	}
	if cfg.Username != "" {
		po.SetUsername(cfg.Username)
		po.SetPassword(pw)
	}
	c.paho = paho.NewClient(po)
	if c.onCmd != nil {
		c.spawn(c.serveCommands)
	}
	return c, nil
}

// Topics returns the topic layout the client publishes under.
func (c *Client) Topics() transport.Topics { return c.topics }

// Connect makes one connection attempt and waits for it (at most
// ConnectTimeout, or until ctx is done). A refused or failed attempt is a
// *ConnectError. After a success paho reconnects by itself.
func (c *Client) Connect(ctx context.Context) error {
	if c.closed.Load() {
		return transport.ErrClosed
	}
	if !c.paho.IsConnected() {
		c.gate.close() // opened by paho's snapshot of its store (gatedStore.All)
	}
	tok := c.paho.Connect()
	timeout := time.NewTimer(c.cfg.ConnectTimeout + time.Second)
	defer timeout.Stop()
	var err error
	select {
	case <-tok.Done():
		err = tok.Error()
	case <-ctx.Done():
		err = ctx.Err()
	case <-timeout.C:
		err = errors.New("timed out")
	}
	if err != nil {
		h := hint(err)
		if c.tls != nil && strings.HasPrefix(h, "the broker closed") && ctx.Err() == nil {
			if perr := probeTLS(ctx, c.cfg.Broker, c.tls, c.cfg.ConnectTimeout); perr != nil {
				err = fmt.Errorf("%w; a TLS handshake alone fails with: %w", err, perr)
				h = hint(perr)
			}
		}
		return &ConnectError{Broker: c.cfg.Broker, Err: err, Hint: h}
	}
	// paho completes the token after resume, so the gate is open already,
	// unless this call found the client connected and paho did nothing.
	c.gate.open()
	return nil
}

// Start connects in the background: it retries the first connection with
// doubling waits (1 s up to MaxReconnectInterval), logging each failure
// with its reason, until it succeeds, ctx ends or the Client is closed.
// Publish may be called before the connection is up (the outbox retries).
func (c *Client) Start(ctx context.Context) {
	c.startOnce.Do(func() {
		c.spawn(func() {
			wait := time.Second
			for failures := 1; ; failures++ {
				err := c.Connect(ctx)
				if err == nil || ctx.Err() != nil || c.ctx.Err() != nil {
					return
				}
				if failures&(failures-1) == 0 || wait == c.cfg.MaxReconnectInterval {
					c.log.Error().Err(err).Int("attempt", failures).Dur("retry_in", wait).Msg("mqtt: cannot connect")
				}
				select {
				case <-ctx.Done():
					return
				case <-c.ctx.Done():
					return
				case <-time.After(wait):
				}
				wait = min(2*wait, c.cfg.MaxReconnectInterval)
			}
		})
	})
}

// Connected reports whether the connection is up now.
func (c *Client) Connected() bool { return c.paho.IsConnectionOpen() }

// Publish sends m and waits for the broker's acknowledgement (QoS 1, 2) or
// the write (QoS 0), or until ctx is done. While reconnecting, paho holds a
// QoS ≥ 1 message and sends it once the connection is back, so without a
// deadline Publish waits across the outage, and before the first
// connection it waits for it. After Close it fails at once.
func (c *Client) Publish(ctx context.Context, m transport.Message) error {
	if c.closed.Load() {
		return transport.ErrClosed
	}
	if err := c.gate.wait(ctx, c.ctx); err != nil {
		return fmt.Errorf("mqtt: publish %s: waiting for the connection: %w", m.Topic, err)
	}
	tok := c.paho.Publish(m.Topic, m.QoS, m.Retained, m.Payload)
	if err := c.wait(ctx, tok, "publish "+m.Topic); err != nil || m.QoS == 0 {
		return err
	}
	return c.waitAcked(ctx, tok.(*paho.PublishToken).MessageID(), m.Topic)
}

// waitAcked waits until paho's store no longer holds the outbound message
// id. paho completes a publish token in two cases: on PUBACK, after deleting
// the message from its store; and, without error, when it resends the
// message after a reconnect (resume claims the id for a new, internal
// token). Only the first means the broker has it. Returning early in the
// second would let the caller delete its durable copy and send the next
// message ahead of the resend, so wait for the resend's PUBACK instead.
func (c *Client) waitAcked(ctx context.Context, id uint16, topic string) error {
	key := fmt.Sprintf("o.%d", id)
	if c.store.Get(key) == nil {
		return nil
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for c.store.Get(key) != nil {
		select {
		case <-ctx.Done():
			return fmt.Errorf("mqtt: publish %s: resent after reconnect, not yet acknowledged: %w", topic, ctx.Err())
		case <-c.ctx.Done():
			return fmt.Errorf("mqtt: publish %s: %w", topic, transport.ErrClosed)
		case <-t.C:
		}
	}
	return nil
}

func (c *Client) wait(ctx context.Context, tok paho.Token, what string) error {
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("mqtt: %s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt: %s: %w", what, ctx.Err())
	case <-c.ctx.Done():
		return fmt.Errorf("mqtt: %s: %w", what, transport.ErrClosed)
	}
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{Connects: c.connects.Load(), ConnectionLosses: c.losses.Load(),
		CommandsReceived: c.cmdRecv.Load(), CommandsDropped: c.cmdDrop.Load()}
}

// Close publishes "offline" on the status topic (retained), disconnects
// and stops the client's goroutines. It waits at most until ctx is done.
func (c *Client) Close(ctx context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	var err error
	if c.paho.IsConnectionOpen() {
		wctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout)
		tok := c.paho.Publish(c.topics.Status(), 1, true, []byte(transport.StatusOffline))
		err = c.wait(wctx, tok, "publish offline status")
		cancel()
	}
	c.spawnMu.Lock()
	c.stopped = true
	c.spawnMu.Unlock()
	c.cancel()
	c.paho.Disconnect(250)
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("mqtt: close: %w", ctx.Err())
	}
	return err
}

// onConnect runs on a paho goroutine after each (re)connection: it must not
// block paho, so the birth message and the subscription go on our own goroutine.
func (c *Client) onConnect(paho.Client) {
	n := c.connects.Add(1)
	c.log.Info().Str("broker", c.cfg.Broker).Str("client_id", c.cfg.ClientID).Uint64("connects", n).Msg("mqtt: connected")
	c.spawn(func() {
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.WriteTimeout)
		defer cancel()
		if err := c.gate.wait(ctx, c.ctx); err != nil {
			return
		}
		if c.onCmd != nil {
			err := c.retryNotConnected(ctx, func() paho.Token {
				return c.paho.Subscribe(c.topics.CommandFilter(), 1, c.onMessage)
			}, "subscribe "+c.topics.CommandFilter())
			if err != nil {
				c.log.Error().Err(err).Msg("mqtt: commands will not arrive")
			}
		}
		err := c.retryNotConnected(ctx, func() paho.Token {
			return c.paho.Publish(c.topics.Status(), 1, true, []byte(transport.StatusOnline))
		}, "publish online status")
		if err != nil {
			c.log.Warn().Err(err).Msg("mqtt: birth message")
		}
	})
}

// retryNotConnected runs op until paho stops answering ErrNotConnected or
// ctx ends. paho calls the OnConnect handler before it marks the client
// connected, so the first birth publish can be refused; without a retry the
// retained status would keep saying "offline" while the robot is online.
func (c *Client) retryNotConnected(ctx context.Context, op func() paho.Token, what string) error {
	for {
		err := c.wait(ctx, op(), what)
		if !errors.Is(err, paho.ErrNotConnected) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-c.ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *Client) onConnectionLost(_ paho.Client, err error) {
	c.losses.Add(1)
	c.log.Warn().Err(err).Str("broker", c.cfg.Broker).Msg("mqtt: connection lost; reconnecting")
}

// onMessage runs on a paho goroutine: copy and hand over, never block.
func (c *Client) onMessage(_ paho.Client, m paho.Message) {
	name, ok := c.topics.CommandName(m.Topic())
	if !ok {
		return // our own replies, or deeper topics
	}
	c.cmdRecv.Add(1)
	cmd := inbound{name: name, payload: append([]byte(nil), m.Payload()...)}
	select {
	case c.cmds <- cmd:
	default:
		if n := c.cmdDrop.Add(1); n&(n-1) == 0 {
			c.log.Warn().Str("command", name).Uint64("dropped", n).Msg("mqtt: command queue full; command dropped")
		}
	}
}

func (c *Client) serveCommands() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case cmd := <-c.cmds:
			c.onCmd(c.ctx, cmd.name, cmd.payload)
		}
	}
}
