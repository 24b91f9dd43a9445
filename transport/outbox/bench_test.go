package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/transport"
)

// discardLink acknowledges everything at once.
type discardLink struct{}

func (discardLink) Publish(context.Context, transport.Message) error { return nil }
func (discardLink) Connected() bool                                  { return true }

// BenchmarkPublishHeartbeat is the in-memory path (heartbeats, health):
// queue, coalesce, hand to the sender goroutine.
func BenchmarkPublishHeartbeat(b *testing.B) {
	ob, err := Open(DirFS(b.TempDir()), discardLink{}, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer ob.Close(context.Background())
	m := beatMsg("lidar0", 1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := ob.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// downLink never delivers, so the sender does no disk work meanwhile.
type downLink struct{}

func (downLink) Publish(ctx context.Context, _ transport.Message) error {
	<-ctx.Done()
	return ctx.Err()
}
func (downLink) Connected() bool { return false }

// BenchmarkPublishStateChange is the agent's durable path: Next, then
// encode, write, fsync, rename, fsync the directory before Publish returns.
// The link is down, as in an outage, so nothing else touches the disk.
func BenchmarkPublishStateChange(b *testing.B) {
	opt := DefaultOptions()
	opt.MaxMessages = 1 << 30
	opt.MaxBytes = 1 << 30
	ob, err := Open(DirFS(b.TempDir()), downLink{}, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		ob.Close(ctx)
	}()
	m := stateMsg("lidar0", 1)
	m.Payload = make([]byte, 900) // a typical State payload
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := ob.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
