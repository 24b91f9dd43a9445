package command

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/transporttest"
)

func newTestDispatcher(enabled ...string) (*Dispatcher, *transporttest.Recorder, *[]string) {
	rec := &transporttest.Recorder{}
	d := New(transport.Topics{Prefix: "trust/v1/r1"}, "r1", rec, enabled, zerolog.Nop())
	var calls []string
	d.HandleRecalibrate(func(_ context.Context, c transport.Recalibrate) (any, error) {
		calls = append(calls, c.Sensor)
		if c.Sensor == "nosuch" {
			return nil, errors.New("no sensor nosuch")
		}
		return map[string]float64{"threshold": 2.5}, nil
	})
	d.HandleLogLevel(func(_ context.Context, c transport.LogLevel) (any, error) {
		calls = append(calls, c.Level)
		return nil, nil
	})
	return d, rec, &calls
}

func TestDispatch(t *testing.T) {
	d, rec, calls := newTestDispatcher("recalibrate", "loglevel")
	ctx := context.Background()
	r := d.Dispatch(ctx, "recalibrate", []byte(`{"id":"7","sensor":"lidar0","minutes":10}`))
	if !r.OK || r.ID != "7" || string(r.Result) != `{"threshold":2.5}` {
		t.Fatalf("reply %+v", r)
	}
	r = d.Dispatch(ctx, "loglevel", []byte(`{"level":"loud"}`))
	if r.OK || !strings.Contains(r.Error, "loglevel: level") {
		t.Fatalf("bad level accepted: %+v", r)
	}
	r = d.Dispatch(ctx, "recalibrate", []byte(`{"id":"8","sensor":"nosuch","minutes":1}`))
	if r.OK || r.Error != "no sensor nosuch" || r.ID != "8" {
		t.Fatalf("handler error: %+v", r)
	}
	r = d.Dispatch(ctx, "model", []byte(`{}`))
	if r.OK || !strings.Contains(r.Error, "not enabled") {
		t.Fatalf("model: %+v", r)
	}
	if strings.Join(*calls, ",") != "lidar0,nosuch" {
		t.Fatalf("handler calls %v", *calls)
	}
	msgs := rec.Messages()
	if len(msgs) != 4 || msgs[0].Topic != "trust/v1/r1/cmd/recalibrate/reply" || msgs[0].Retained || msgs[0].Kind != transport.KindReply {
		t.Fatalf("replies %+v", msgs)
	}
	var back transport.Reply
	if err := json.Unmarshal(msgs[0].Payload, &back); err != nil || !back.OK || back.Schema != 1 {
		t.Fatalf("reply payload %s: %v", msgs[0].Payload, err)
	}
}

func TestDisabledCommandNotRun(t *testing.T) {
	d, _, calls := newTestDispatcher("loglevel")
	r := d.Dispatch(context.Background(), "recalibrate", []byte(`{"sensor":"lidar0","minutes":10}`))
	if r.OK || !strings.Contains(r.Error, "not enabled") || len(*calls) != 0 {
		t.Fatalf("disabled command ran: %+v %v", r, *calls)
	}
}

// fuzzDispatch checks that any payload yields exactly one reply, and that a
// handler is only called with a payload that validates.
func fuzzDispatch(f *testing.F, name string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		d, rec, calls := newTestDispatcher("recalibrate", "loglevel")
		r := d.Dispatch(context.Background(), name, p)
		if len(rec.Messages()) != 1 {
			t.Fatalf("%d replies", len(rec.Messages()))
		}
		if r.OK != (len(*calls) == 1 && (*calls)[0] != "nosuch") {
			t.Fatalf("ok=%v with calls %v", r.OK, *calls)
		}
		if r.OK && name == "recalibrate" {
			var c transport.Recalibrate
			if err := transport.DecodeStrict(p, &c); err != nil || c.Minutes < 1 || c.Minutes > 1440 {
				t.Fatalf("accepted invalid payload %q: %v", p, err)
			}
		}
	})
}

func FuzzRecalibrate(f *testing.F) {
	fuzzDispatch(f, "recalibrate",
		`{"id":"1","sensor":"lidar0","minutes":10}`, `{"sensor":"cam0","minutes":1440}`,
		`{"sensor":"lidar0","minutes":1441}`, `{"sensor":"","minutes":5}`, `{"sensor":"a/b","minutes":5}`,
		`{"sensor":"lidar0","minutes":5,"x":1}`, `{"sensor":"lidar0","minutes":5.5}`, `{"sensor":"lidar0","minutes":5}{}`,
		`[1,2]`, `null`, `"x"`, `{`, ``, "\xff\xfe", `{"id":7,"sensor":"lidar0","minutes":3}`)
}

func FuzzLogLevel(f *testing.F) {
	fuzzDispatch(f, "loglevel",
		`{"level":"debug"}`, `{"id":"x","level":"info"}`, `{"level":"DEBUG"}`, `{"level":""}`,
		`{"level":"warn","level":"error"}`, `{"level":1}`, `{}`, `[]`, `{"level":"info"} x`)
}
