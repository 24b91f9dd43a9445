package mqtt

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/sensortrust/trustagent/transport"
)

// countHook counts the PUBLISH packets the broker receives on a topic.
type countHook struct {
	mochi.HookBase
	topic string
	n     atomic.Int32
}

func (h *countHook) ID() string { return "count" }
func (h *countHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnPublish}, []byte{b})
}
func (h *countHook) OnPublish(_ *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.TopicName == h.topic {
		h.n.Add(1)
	}
	return pk, nil
}

// proxy forwards TCP connections to a broker; while swallowing, it drops
// what the broker sends (so PUBACKs are lost) and then cuts the connection.
type proxy struct {
	l       net.Listener
	target  string
	mu      sync.Mutex
	conns   []net.Conn
	swallow atomic.Bool
}

func startProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := u.Read(buf)
					if err != nil {
						c.Close()
						return
					}
					if !p.swallow.Load() {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestPublishWaitsForTheResendsAck: when the connection drops before the
// PUBACK, paho completes the publish token without error as it resends the
// message after reconnecting. Publish must still wait for the resend's
// PUBACK, or the outbox would delete a message the broker may not have.
func TestPublishWaitsForTheResendsAck(t *testing.T) {
	topic := "trust/v1/r1/lidar0"
	hook := &countHook{topic: topic}
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_ = srv.AddHook(new(auth.AllowHook), nil)
	_ = srv.AddHook(hook, nil)
	tcp := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := srv.AddListener(tcp); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := startProxy(t, tcp.Address())

	cfg := DefaultConfig("r1")
	cfg.Broker = "tcp://" + p.l.Addr().String()
	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	time.Sleep(100 * time.Millisecond) // let the birth message through

	p.swallow.Store(true)
	done := make(chan error, 1)
	go func() {
		done <- c.Publish(ctx, transport.Message{Topic: topic, Payload: []byte("x"), QoS: 1, Retained: true, Kind: transport.KindState})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for hook.n.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("broker never got the first send")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the PUBACK is swallowed
	select {
	case err := <-done:
		t.Fatalf("Publish returned %v without a PUBACK", err)
	default:
	}
	p.swallow.Store(false)
	p.cut() // connection lost; paho reconnects through the proxy and resends
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := hook.n.Load(); n < 2 {
		t.Fatalf("Publish returned after %d send(s): it took the resend's token completion for an ack", n)
	}
}
