package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// SubscriberConfig configures a read-only connection, for dashboards and
// tools that watch a fleet: no will, no status, a clean session, nothing
// published. The fields mean what the Config fields of the same names mean;
// zero durations take Config's defaults.
type SubscriberConfig struct {
	Broker   string
	ClientID string // default: "<ClientIDPrefix>-<random>"; must be unique on the broker

	CAFile, CertFile, KeyFile, ServerName string
	Username, PasswordFile, PasswordEnv   string

	KeepAlive, ConnectTimeout, MaxReconnectInterval time.Duration
}

// ClientIDPrefix starts the client id a SubscriberConfig without one gets.
const ClientIDPrefix = "trustagent-sub"

// config is c as a Config, so that it is validated, and its files read,
// by the same code as the daemon's.
func (c SubscriberConfig) config() Config {
	return Config{Broker: c.Broker, Robot: "subscriber", ClientID: c.ClientID,
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName,
		Username: c.Username, PasswordFile: c.PasswordFile, PasswordEnv: c.PasswordEnv,
		KeepAlive: c.KeepAlive, ConnectTimeout: c.ConnectTimeout, MaxReconnectInterval: c.MaxReconnectInterval,
	}.WithDefaults()
}

// Validate checks c without any I/O, as Config.Validate does; each problem
// is a *ConfigError.
func (c SubscriberConfig) Validate() error { return c.config().Validate() }

// Message is one message received by a Subscriber. Retained is set on the
// retained messages the broker sends when the subscription is made (the
// current state); messages published afterwards arrive without it.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
}

// Subscriber holds one subscription at QoS 0 and hands every message to a
// function, in the order received. QoS 0 because the state is retained and
// repeated every heartbeat: a message lost with a connection is replaced by
// the retained one when the subscription is made again, after the automatic
// reconnection.
type Subscriber struct {
	cfg    Config
	filter string
	handle func(Message)
	paho   paho.Client

	subscribed   chan struct{} // closed after the first SUBACK
	once         sync.Once
	lastRetained atomic.Int64 // unix ns of the latest retained message
	connects     atomic.Uint64
	subErr       atomic.Pointer[error]
}

// Subscribe validates cfg, reads its TLS files and password, connects (one
// attempt, at most ConnectTimeout or until ctx ends) and subscribes to
// filter. handle runs on the client's goroutine, one message at a time, and
// must not block; the payload is its own. After a lost connection the
// client reconnects and subscribes again by itself, until Close.
func Subscribe(ctx context.Context, cfg SubscriberConfig, filter string, handle func(Message)) (*Subscriber, error) {
	if cfg.ClientID == "" {
		var r [4]byte
		_, _ = rand.Read(r[:])
		cfg.ClientID = ClientIDPrefix + "-" + hex.EncodeToString(r[:])
	}
	c := cfg.config()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if filter == "" || handle == nil {
		return nil, errors.New("mqtt: subscribe: no filter or no handler")
	}
	tc, err := tlsConfig(c)
	if err != nil {
		return nil, err
	}
	pw, err := password(c)
	if err != nil {
		return nil, err
	}
	s := &Subscriber{cfg: c, filter: filter, handle: handle, subscribed: make(chan struct{})}
	po := paho.NewClientOptions().
		AddBroker(c.Broker).
		SetClientID(c.ClientID).
		SetCleanSession(true).
		SetOrderMatters(true). // handle sees messages in order, one at a time
		SetKeepAlive(c.KeepAlive).
		SetPingTimeout(c.PingTimeout).
		SetConnectTimeout(c.ConnectTimeout).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(c.MaxReconnectInterval).
		SetResumeSubs(false).
		SetProtocolVersion(4).
		SetOnConnectHandler(s.onConnect)
	if tc != nil {
		po.SetTLSConfig(tc)
	}
	if c.Username != "" {
		po.SetUsername(c.Username)
		po.SetPassword(pw)
	}
	s.paho = paho.NewClient(po)
	tok := s.paho.Connect()
	select {
	case <-tok.Done():
		err = tok.Error()
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(c.ConnectTimeout + time.Second):
		err = errors.New("timed out")
	}
	if err != nil {
		s.paho.Disconnect(0)
		return nil, &ConnectError{Broker: c.Broker, Err: err, Hint: hint(err)}
	}
	select {
	case <-s.subscribed:
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("mqtt: subscribe %s: %w", filter, ctx.Err())
	}
	if p := s.subErr.Load(); p != nil {
		s.Close()
		return nil, *p
	}
	return s, nil
}

// onConnect runs on its own paho goroutine after every connection.
func (s *Subscriber) onConnect(paho.Client) {
	s.connects.Add(1)
	tok := s.paho.Subscribe(s.filter, 0, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			s.lastRetained.Store(time.Now().UnixNano())
		}
		s.handle(Message{Topic: m.Topic(), Payload: m.Payload(), Retained: m.Retained()})
	})
	var err error
	if !tok.WaitTimeout(s.cfg.WriteTimeout) {
		err = fmt.Errorf("mqtt: subscribe %s: no acknowledgement within %v", s.filter, s.cfg.WriteTimeout)
	} else if tok.Error() != nil {
		err = fmt.Errorf("mqtt: subscribe %s: %w", s.filter, tok.Error())
	} else if st, ok := tok.(*paho.SubscribeToken); ok && st.Result()[s.filter] == 0x80 {
		err = fmt.Errorf("mqtt: subscribe %s: refused by the broker (not allowed to read it?)", s.filter)
	}
	if err != nil {
		s.subErr.Store(&err)
	}
	s.once.Do(func() { close(s.subscribed) })
}

// WaitRetained returns once no retained message has arrived for quiet: by
// then the broker has sent the current state of everything the filter
// matches, as far as a subscriber can tell (MQTT marks no end of it).
func (s *Subscriber) WaitRetained(ctx context.Context, quiet time.Duration) error {
	start := time.Now()
	tick := time.NewTicker(min(quiet/4+time.Millisecond, 50*time.Millisecond))
	defer tick.Stop()
	for {
		last := time.Unix(0, s.lastRetained.Load())
		if last.Before(start) {
			last = start
		}
		if time.Since(last) >= quiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mqtt: waiting for the retained messages of %s: %w", s.filter, ctx.Err())
		case <-tick.C:
		}
	}
}

// Connected reports whether the connection is up now.
func (s *Subscriber) Connected() bool { return s.paho.IsConnectionOpen() }

// Connects counts the connections made, the first one included.
func (s *Subscriber) Connects() uint64 { return s.connects.Load() }

// Close disconnects; handle is not called afterwards.
func (s *Subscriber) Close() { s.paho.Disconnect(250) }
