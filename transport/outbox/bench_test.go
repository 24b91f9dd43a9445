package outbox

import (
	"context"
	"testing"

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

// BenchmarkPublishStateChange is the durable path: encode, write, fsync,
// rename, fsync the directory, before Publish returns; plus Next, which
// persists the sequence counter the same way.
func BenchmarkPublishStateChange(b *testing.B) {
	ob, err := Open(DirFS(b.TempDir()), discardLink{}, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer ob.Close(context.Background())
	m := stateMsg("lidar0", 1)
	m.Payload = make([]byte, 900) // a typical State payload
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ob.Next("lidar0")
		if err := ob.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
