package ota_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otatest"
	"github.com/sensortrust/trustagent/sensors"
)

// FuzzReceiverHandle feeds arbitrary command payloads to a receiver that
// is part way through a transfer: it must never panic, must always publish
// a parseable status, and must never install anything but a valid bundle.
func FuzzReceiverHandle(f *testing.F) {
	data := bundle(f, 1)
	id := ota.IDOf(data)
	digest := sha256.Sum256(data)
	add := func(m ota.Message) {
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	size := uint32(len(data))
	add(ota.Message{Kind: ota.KindChunk, Transfer: id, Size: size, Offset: 100, Data: data[100:300]})
	add(ota.Message{Kind: ota.KindChunk, Transfer: id, Size: size, Offset: 50, Data: data[50:150]})
	add(ota.Message{Kind: ota.KindChunk, Transfer: id, Size: size, Offset: 0, Data: data[:10]})
	add(ota.Message{Kind: ota.KindCommit, Transfer: id, Size: size, Data: append(digest[:], make([]byte, 8)...)})
	add(ota.Message{Kind: ota.KindQuery, Transfer: id, Size: size, Data: make([]byte, 8)})
	add(ota.Message{Kind: ota.KindAbort, Transfer: id, Size: size})
	f.Add([]byte("TAOT\x01\x01\x00\x00"))
	first, _ := (&ota.Message{Kind: ota.KindChunk, Transfer: id, Size: size, Data: data[:100]}).MarshalBinary()
	f.Fuzz(func(t *testing.T, payload []byte) {
		bus := otatest.NewBus()
		c := bus.Client()
		fsys := firmwaretest.NewMemFS()
		store, err := firmware.NewStore(fsys, firmware.Options{
			Trust: firmware.NewTrustStore(releaseKey.Public()), Kind: sensors.KindLidar, Loader: firmwaretest.Loader(0),
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := ota.NewReceiver(store, c, ota.ReceiverOptions{Prefix: prefix, Dir: t.TempDir(), MaxSize: 1 << 16, MaxChunk: 4096})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		r.Handle(ctx, first)
		r.Handle(ctx, payload)
		var s ota.Status
		if err := json.Unmarshal(bus.Retained(ota.StatusTopic(prefix)), &s); err != nil {
			t.Fatalf("status not JSON: %v", err)
		}
		if a := store.Active(); a != nil {
			if _, _, err := firmware.Verify(mustMarshal(t, a.Bundle), firmware.Policy{Trust: firmware.NewTrustStore(releaseKey.Public())}); err != nil {
				t.Fatalf("installed an invalid bundle: %v", err)
			}
		}
	})
}

func mustMarshal(t *testing.T, b *firmware.Bundle) []byte {
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
