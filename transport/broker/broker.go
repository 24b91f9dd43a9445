package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Config configures the embedded broker.
type Config struct {
	Address string `yaml:"address"` // host:port; default 127.0.0.1:1883; port 0 picks a free one
	Users   []User `yaml:"users"`   // empty: anyone on the address may connect
}

// User is one account. The password comes from a file (first line) or an
// environment variable, never from the configuration itself.
type User struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// ACL maps MQTT topic filters to "read" (subscribe), "write" (publish)
	// or "readwrite". A topic is allowed when some filter with that access
	// matches it; everything else is denied. Empty: all topics.
	ACL map[string]string `yaml:"acl"`
}

// DefaultConfig is loopback, port 1883, no users.
func DefaultConfig() Config { return Config{Address: "127.0.0.1:1883"} }

var accessNames = map[string]auth.Access{"read": auth.ReadOnly, "write": auth.WriteOnly, "readwrite": auth.ReadWrite}

// Validate checks cfg without any I/O.
func (c Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Address)
	if err != nil {
		return fmt.Errorf("broker: address %q: %w", c.Address, err)
	}
	if port == "" {
		return fmt.Errorf("broker: address %q: no port", c.Address)
	}
	if !isLoopback(host) && len(c.Users) == 0 {
		return fmt.Errorf("%w: %q; configure users to expose the broker", ErrNotLoopback, c.Address)
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		switch {
		case u.Username == "":
			return fmt.Errorf("broker: user %d: empty username", i)
		case seen[u.Username]:
			return fmt.Errorf("broker: user %q listed twice", u.Username)
		case (u.PasswordFile == "") == (u.PasswordEnv == ""):
			return fmt.Errorf("broker: user %q: set exactly one of password_file and password_env", u.Username)
		}
		seen[u.Username] = true
		for filter, access := range u.ACL {
			if _, ok := accessNames[access]; !ok {
				return fmt.Errorf("broker: user %q: ACL %q: access %q (want read, write or readwrite)", u.Username, filter, access)
			}
			if filter == "" || strings.Contains(filter, "#") && !strings.HasSuffix(filter, "#") {
				return fmt.Errorf("broker: user %q: bad ACL filter %q", u.Username, filter)
			}
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Broker is a running embedded broker.
type Broker struct {
	srv  *mochi.Server
	tcp  *listeners.TCP
	once sync.Once
	done chan struct{}
	err  error
}

// Options are the non-configuration parts of a Broker.
type Options struct {
	Log *slog.Logger // mochi's logger; default: discard
}

// Start validates cfg, reads the passwords, binds the address and serves
// until ctx is done or Close is called.
func Start(ctx context.Context, cfg Config, opt Options) (*Broker, error) {
	if cfg.Address == "" {
		cfg.Address = DefaultConfig().Address
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := mochi.New(&mochi.Options{Logger: log, InlineClient: false})
	if len(cfg.Users) == 0 {
		if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
	} else {
		ledger, err := buildLedger(cfg.Users)
		if err != nil {
			return nil, err
		}
		if err := srv.AddHook(new(auth.Hook), &auth.Options{Ledger: ledger}); err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: cfg.Address})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", cfg.Address, err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	b := &Broker{srv: srv, tcp: tcp, done: make(chan struct{})}
	go func() {
		select {
		case <-ctx.Done():
			_ = b.Close()
		case <-b.done:
		}
	}()
	return b, nil
}

func buildLedger(users []User) (*auth.Ledger, error) {
	l := &auth.Ledger{Users: auth.Users{}}
	for _, u := range users {
		pw, err := readSecret(u)
		if err != nil {
			return nil, err
		}
		l.Users[u.Username] = auth.UserRule{Username: auth.RString(u.Username), Password: auth.RString(pw)}
		if len(u.ACL) == 0 {
			continue // mochi allows what no rule covers
		}
		// mochi's ledger allows a topic that no rule mentions, so the
		// catch-all "#" deny makes the listed filters the only ones allowed.
		f := auth.Filters{"#": auth.Deny}
		for filter, access := range u.ACL {
			f[auth.RString(filter)] = accessNames[access]
		}
		l.ACL = append(l.ACL, auth.ACLRule{Username: auth.RString(u.Username), Filters: f})
	}
	return l, nil
}

func readSecret(u User) (string, error) {
	if u.PasswordFile != "" {
		b, err := os.ReadFile(u.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("broker: user %q: %w", u.Username, err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimRight(line, "\r"); line == "" {
			return "", fmt.Errorf("broker: user %q: password file %s: empty first line", u.Username, u.PasswordFile)
		}
		return line, nil
	}
	v := os.Getenv(u.PasswordEnv)
	if v == "" {
		return "", fmt.Errorf("broker: user %q: environment variable %s is not set", u.Username, u.PasswordEnv)
	}
	return v, nil
}

// Addr returns the address the broker listens on (the real port when 0 was asked).
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL returns the broker's tcp:// URL for clients.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Close stops the broker and disconnects its clients. It is safe to call
// more than once.
//
// The listener is closed here, with its clients, before mochi's own Close:
// mochi (v2.7.9) lists a closing listener's clients with two nested read
// locks of its client map, and deadlocks for good when a client connecting
// or leaving asks for the write lock between them. Closed first, the
// listener is already shut when mochi's Close reaches it, so mochi does not
// list its clients again.
func (b *Broker) Close() error {
	b.once.Do(func() {
		b.tcp.Close(b.disconnectClients)
		b.err = b.srv.Close()
		close(b.done)
	})
	if b.err != nil {
		return fmt.Errorf("broker: close: %w", b.err)
	}
	return nil
}

// disconnectClients disconnects the clients of a listener, as mochi's own
// closeListenerClients does, from a copy of the client map taken under one
// read lock.
func (b *Broker) disconnectClients(listener string) {
	for _, cl := range b.srv.Clients.GetAll() {
		if cl.Net.Listener == listener && !cl.Closed() {
			_ = b.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
}

// Done is closed when the broker has stopped.
func (b *Broker) Done() <-chan struct{} { return b.done }

// ErrNotLoopback is wrapped by Validate when a broker without users would
// listen beyond loopback.
var ErrNotLoopback = errors.New("broker: address is not loopback")
