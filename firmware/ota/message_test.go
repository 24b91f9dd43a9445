package ota_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/firmware/ota"
)

func TestMessageRoundTrip(t *testing.T) {
	id := ota.IDOf([]byte("bundle"))
	for _, m := range []ota.Message{
		{Kind: ota.KindChunk, Transfer: id, Size: 10, Offset: 4, Data: []byte("abcdef")},
		{Kind: ota.KindQuery, Transfer: id, Size: 10, Data: make([]byte, 8)},
		{Kind: ota.KindCommit, Transfer: id, Size: 10, Data: make([]byte, 40)},
		{Kind: ota.KindAbort, Transfer: id, Size: 10},
	} {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ota.ParseMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != m.Kind || got.Transfer != m.Transfer || got.Size != m.Size || got.Offset != m.Offset || !bytes.Equal(got.Data, m.Data) {
			t.Fatalf("round trip: %+v != %+v", got, m)
		}
	}
	bad := ota.Message{Kind: ota.KindChunk, Transfer: id, Size: 4, Offset: 2, Data: []byte("abc")}
	if _, err := bad.MarshalBinary(); !errors.Is(err, ota.ErrMalformed) {
		t.Fatalf("chunk past the end: %v", err)
	}
}

func FuzzParseMessage(f *testing.F) {
	id := ota.IDOf([]byte("x"))
	for _, m := range []ota.Message{
		{Kind: ota.KindChunk, Transfer: id, Size: 3, Data: []byte("abc")},
		{Kind: ota.KindCommit, Transfer: id, Size: 3, Data: make([]byte, 40)},
		{Kind: ota.KindQuery, Transfer: id, Size: 3, Data: make([]byte, 8)},
	} {
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte("TAOT"))
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := ota.ParseMessage(p)
		if err != nil {
			return
		}
		b, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(b, p) {
			t.Fatalf("accepted message does not re-encode identically: %v", err)
		}
		m.Nonce()
	})
}

func FuzzParseStatus(f *testing.F) {
	b, _ := json.Marshal(ota.Status{Schema: 1, State: ota.StateReceiving, Transfer: "00", NextOffset: 5, Time: time.Unix(0, 0)})
	f.Add(b)
	f.Add([]byte(`{"schema":1,"active":{"version":-1}}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := ota.ParseStatus(p)
		if err == nil && s.Schema != 1 {
			t.Fatal("accepted a status of another schema")
		}
	})
}
