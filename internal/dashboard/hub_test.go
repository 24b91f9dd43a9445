package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/fusion"
	"github.com/sensortrust/trustagent/agent/level"
)

// fakeAgent is a Status source whose n-th snapshot has score n.
type fakeAgent struct {
	mu sync.Mutex
	n  int
	t  time.Time
}

func (f *fakeAgent) Status() (agent.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.t.IsZero() {
		f.t = time.Now()
	}
	f.t = f.t.Add(100 * time.Millisecond)
	return agent.Status{
		Robot: "bot", Time: f.t,
		Sensors: []agent.SensorStatus{{Name: "lidar0", Kind: "lidar", Level: level.OK, Score: float64(f.n), Threshold: 8}},
	}, true
}

func newHub(t *testing.T, o Options) *Hub {
	t.Helper()
	if o.Status == nil {
		o.Status = (&fakeAgent{}).Status
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sse is one parsed server-sent event.
type sse struct{ name, data string }

func parse(t *testing.T, msg []byte) sse {
	t.Helper()
	var e sse
	for _, l := range strings.Split(strings.TrimRight(string(msg), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "event: "):
			e.name = strings.TrimPrefix(l, "event: ")
		case strings.HasPrefix(l, "data: "):
			e.data = strings.TrimPrefix(l, "data: ")
		default:
			t.Fatalf("unexpected line %q in %q", l, msg)
		}
	}
	return e
}

func snapshotScore(t *testing.T, e sse) float64 {
	t.Helper()
	if e.name != "snapshot" {
		t.Fatalf("event %q, want snapshot", e.name)
	}
	var st agent.Status
	if err := json.Unmarshal([]byte(e.data), &st); err != nil {
		t.Fatal(err)
	}
	return st.Sensors[0].Score
}

func TestOptionsValidated(t *testing.T) {
	for _, o := range []Options{
		{},
		{Status: (&fakeAgent{}).Status, Rate: -time.Second},
		{Status: (&fakeAgent{}).Status, MaxClients: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// Every page gets every snapshot and every change, in order.
func TestFanOut(t *testing.T) {
	h := newHub(t, Options{ClientBuffer: 4})
	a, _, err := h.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := h.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		h.sample()
		for _, c := range []*client{a, b} {
			if got := snapshotScore(t, parse(t, <-c.ch)); got != float64(i) {
				t.Fatalf("snapshot %d has score %v", i, got)
			}
		}
	}
	tap := h.Tap(nil)
	st := decision.State{Level: level.Warn, Cause: level.CauseSensor, Reasons: []level.Reason{{Code: level.ScoreHigh, Value: 9, Level: level.Error}}}
	tap.ReportSensor(context.Background(), &agent.SensorReport{Sensor: "lidar0", Judge: agent.Snapshot{State: st}, Seq: 7})
	h.change(<-h.changes)
	for _, c := range []*client{a, b} {
		e := parse(t, <-c.ch)
		var ch Change
		if e.name != "change" || json.Unmarshal([]byte(e.data), &ch) != nil {
			t.Fatalf("event %+v, want a change", e)
		}
		if ch.Sensor != "lidar0" || ch.Level != level.Warn || ch.Seq != 7 || len(ch.Reasons) != 1 || ch.Reasons[0].Code != level.ScoreHigh {
			t.Errorf("change %+v", ch)
		}
	}
	if a.dropped.Load()+b.dropped.Load() != 0 {
		t.Error("a page that kept up lost updates")
	}
}

// A page that does not read loses updates once its buffer is full; the
// hub's memory for it stays bounded and the other pages lose nothing.
func TestSlowClientLosesUpdates(t *testing.T) {
	h := newHub(t, Options{ClientBuffer: 4})
	slow, _, _ := h.subscribe()
	fast, _, _ := h.subscribe()
	const n = 20
	for i := 1; i <= n; i++ {
		h.sample()
		if got := snapshotScore(t, parse(t, <-fast.ch)); got != float64(i) {
			t.Fatalf("fast page: snapshot %d has score %v", i, got)
		}
	}
	if len(slow.ch) != 4 || slow.dropped.Load() != n-4 {
		t.Errorf("slow page: %d queued, %d dropped; want 4 and %d", len(slow.ch), slow.dropped.Load(), n-4)
	}
	// What it does get is the oldest: the next snapshot after it catches up carries the whole state.
	if got := snapshotScore(t, parse(t, <-slow.ch)); got != 1 {
		t.Errorf("slow page's first queued snapshot has score %v", got)
	}
}

// The agent is never blocked by the hub: changes beyond the queue are
// counted and dropped.
func TestTapNeverBlocks(t *testing.T) {
	h := newHub(t, Options{})
	tap := h.Tap(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < changeQueue+10; i++ {
			tap.ReportSummary(context.Background(), &agent.SummaryReport{Summary: fusion.Summary{Level: level.Warn}})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Tap blocked on a hub that does not run")
	}
	if h.lost.Load() != 10 {
		t.Errorf("lost %d changes, want 10", h.lost.Load())
	}
}

type recordingReporter struct {
	sensors, summaries, health int
	err                        error
}

func (r *recordingReporter) ReportSensor(context.Context, *agent.SensorReport) error {
	r.sensors++
	return r.err
}
func (r *recordingReporter) ReportSummary(context.Context, *agent.SummaryReport) error {
	r.summaries++
	return r.err
}
func (r *recordingReporter) ReportHealth(context.Context, *agent.HealthReport) error {
	r.health++
	return r.err
}

// Tap forwards every report with its error; heartbeats and health are not
// changes.
func TestTapForwards(t *testing.T) {
	h := newHub(t, Options{})
	next := &recordingReporter{err: errors.New("broker down")}
	tap := h.Tap(next)
	ctx := context.Background()
	errs := []error{
		tap.ReportSensor(ctx, &agent.SensorReport{Sensor: "a"}),
		tap.ReportSensor(ctx, &agent.SensorReport{Sensor: "a", Heartbeat: true}),
		tap.ReportSummary(ctx, &agent.SummaryReport{}),
		tap.ReportSummary(ctx, &agent.SummaryReport{Heartbeat: true}),
		tap.ReportHealth(ctx, &agent.HealthReport{}),
	}
	for i, err := range errs {
		if !errors.Is(err, next.err) {
			t.Errorf("report %d: error %v not forwarded", i, err)
		}
	}
	if next.sensors != 2 || next.summaries != 2 || next.health != 1 {
		t.Errorf("forwarded %+v", next)
	}
	if len(h.changes) != 2 {
		t.Errorf("%d changes queued, want 2 (heartbeats and health are not changes)", len(h.changes))
	}
}

// The history a new page gets covers the configured span, however long the
// hub has run, and keeps a bounded number of changes.
func TestHistoryBounded(t *testing.T) {
	fa := &fakeAgent{}
	h := newHub(t, Options{History: time.Second, Status: fa.Status})
	for i := 0; i < 50; i++ { // 5 s of snapshots 100 ms apart
		h.sample()
	}
	for i := 0; i < 2*maxChanges; i++ {
		h.change(Change{Sensor: "lidar0", Level: level.Warn, Time: fa.t})
	}
	_, hist, err := h.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	e := parse(t, hist)
	var got struct {
		Points  map[string][][4]float64 `json:"points"`
		Changes []Change                `json:"changes"`
	}
	if e.name != "history" || json.Unmarshal([]byte(e.data), &got) != nil {
		t.Fatalf("history event %q", hist)
	}
	ps := got.Points["lidar0"]
	if len(ps) == 0 || len(ps) > 11 {
		t.Fatalf("%d points kept for 1 s of 10 Hz snapshots", len(ps))
	}
	if last := ps[len(ps)-1]; last[1] != 50 || last[2] != 8 || last[3] != 0 {
		t.Errorf("latest point %v, want score 50, threshold 8, level 0", last)
	}
	if len(got.Changes) != maxChanges {
		t.Errorf("%d changes kept, want %d", len(got.Changes), maxChanges)
	}
}

func serve(t *testing.T, h *Hub, writeTimeout time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.Handler(), ReadTimeout: writeTimeout, WriteTimeout: writeTimeout}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func runHub(t *testing.T, h *Hub) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
	}
	t.Cleanup(stop)
	return stop
}

// stream opens /events and returns its events as they come.
func stream(t *testing.T, ctx context.Context, url string) (<-chan sse, *http.Response) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/events: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	out := make(chan sse, 1024)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var e sse
		for sc.Scan() {
			l := sc.Text()
			switch {
			case l == "":
				if e.name != "" {
					out <- e
				}
				e = sse{}
			case strings.HasPrefix(l, "event: "):
				e.name = l[7:]
			case strings.HasPrefix(l, "data: "):
				e.data = l[6:]
			}
		}
	}()
	return out, resp
}

func waitClients(t *testing.T, h *Hub, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.clients)
		h.mu.Unlock()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients, want %d", n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A stream lives on past the server's WriteTimeout (each write extends the
// deadline), and its page leaving frees its place.
func TestStreamOutlivesWriteTimeoutAndClientLeaves(t *testing.T) {
	h := newHub(t, Options{Rate: 20 * time.Millisecond})
	runHub(t, h)
	url := serve(t, h, 300*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	events, resp := stream(t, ctx, url)
	defer resp.Body.Close()
	if e := <-events; e.name != "history" {
		t.Fatalf("first event %q", e.name)
	}
	end := time.After(time.Second)
	var last float64
	for n := 0; ; n++ {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("stream ended after %d events", n)
			}
			if e.name == "snapshot" {
				s := snapshotScore(t, e)
				if s <= last {
					t.Fatalf("snapshot score %v after %v", s, last)
				}
				last = s
			}
			continue
		case <-end:
		}
		break
	}
	select {
	case _, ok := <-events:
		if !ok {
			t.Fatal("stream cut after the server's WriteTimeout")
		}
	case <-time.After(time.Second):
		t.Fatal("no event after the server's WriteTimeout")
	}
	waitClients(t, h, 1)
	cancel()
	waitClients(t, h, 0)
}

// Stopping the hub ends every stream and Run waits for their handlers;
// afterwards a page is refused.
func TestStopEndsStreams(t *testing.T) {
	h := newHub(t, Options{Rate: 20 * time.Millisecond})
	stop := runHub(t, h)
	url := serve(t, h, 10*time.Second)
	events, resp := stream(t, context.Background(), url)
	defer resp.Body.Close()
	<-events
	stop()
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-events:
		case <-deadline:
			t.Fatal("stream still open after the hub stopped")
		}
	}
	r, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/events after stop: %s", r.Status)
	}
}

func TestMaxClients(t *testing.T) {
	h := newHub(t, Options{MaxClients: 1})
	runHub(t, h)
	url := serve(t, h, 10*time.Second)
	_, resp := stream(t, context.Background(), url)
	defer resp.Body.Close()
	r, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("second page: %s, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
}

// The handler only reads: every other method is refused, every answer
// carries the security headers, and only the known assets exist.
func TestHandlerIsReadOnly(t *testing.T) {
	h := newHub(t, Options{})
	cases := []struct {
		method, path string
		code         int
		ctype        string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/assets/dashboard.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/assets/dashboard.css", 200, "text/css; charset=utf-8"},
		{"GET", "/assets/", 404, ""},
		{"GET", "/assets/index.html", 404, ""},
		{"GET", "/nothing", 404, ""},
		{"POST", "/", 405, ""},
		{"PUT", "/events", 405, ""},
		{"DELETE", "/assets/dashboard.js", 405, ""},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		h.Handler().ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, w.Code, c.code)
		}
		if c.ctype != "" && w.Header().Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, w.Header().Get("Content-Type"))
		}
		if w.Header().Get("Content-Security-Policy") != contentSecurityPolicy || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: security headers missing: %v", c.method, c.path, w.Header())
		}
	}
}

// The page sets text only as text: the script never hands data to the
// HTML parser, and the page has no inline script or style for the policy
// to allow.
func TestPageNeverParsesDataAsHTML(t *testing.T) {
	js, err := os.ReadFile("assets/dashboard.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("dashboard.js uses %s", bad)
		}
	}
	html, err := os.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "style=", "onload=", "onclick=", "http://", "https://"} {
		if strings.Contains(string(html), bad) {
			t.Errorf("index.html has %s", bad)
		}
	}
	if !strings.Contains(contentSecurityPolicy, "default-src 'none'") || strings.Contains(contentSecurityPolicy, "unsafe") {
		t.Errorf("policy %q", contentSecurityPolicy)
	}
}

// BenchmarkSample is one snapshot of a robot with a LiDAR and a camera in
// WARN and a host model: encoded, kept in the history and queued for four
// pages.
func BenchmarkSample(b *testing.B) {
	t0 := time.Now()
	n := 0
	status := func() (agent.Status, bool) {
		n++
		rs := []level.Reason{{Code: level.ScoreHigh, Feature: "score", Value: 9.5, Level: level.Error}, {Code: level.HealthWarn, Feature: "returns_per_cell", Value: 2.9, Level: level.Warn}}
		st := agent.Status{Robot: "bot", Time: t0.Add(time.Duration(n) * 100 * time.Millisecond),
			Summary: agent.SummaryStatus{Level: level.Warn, Cause: level.CauseSensor, Message: "WARN (sensor): lidar0 WARN"},
			Host:    &agent.HostStatus{Phase: agent.PhaseJudging, Features: map[string]float64{}}}
		for _, name := range []string{"lidar0", "cam0"} {
			st.Sensors = append(st.Sensors, agent.SensorStatus{Name: name, Kind: "lidar", Level: level.Warn, Cause: level.CauseSensor,
				Message: "WARN: suspect frame (score_high(score=9.5), health_warn(returns_per_cell=2.9))", Reasons: rs,
				Score: 9.5, Threshold: 8, Model: "lidar-default@1", RateHz: 10, Frames: uint64(n), Scored: uint64(n), Decimation: 1})
		}
		for _, f := range []string{"cpu_busy_max", "cpu_busy_mean", "gc_pause_p99_ms", "load1_per_core", "mem_used_frac", "rss_mb", "state_free_frac", "throttled", "under_voltage", "bus_errors_per_s"} {
			st.Host.Features[f] = 0.5
		}
		return st, true
	}
	h, err := New(Options{Status: status})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 4; i++ { // four pages that do not read: each snapshot is queued or dropped
		h.subscribe()
	}
	b.ReportAllocs()
	for b.Loop() {
		h.sample()
	}
}
