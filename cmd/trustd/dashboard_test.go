package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/internal/browsertest"
)

// levelLog records when a sensor's level changed, in Unix milliseconds,
// and the daemon's message for each (to explain a failure).
type levelLog struct {
	mu       sync.Mutex
	entries  [][2]string // [unix ms, level]
	messages []string
}

func (l *levelLog) add(ms int64, lvl, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.entries); n > 0 && l.entries[n-1][1] == lvl {
		return
	}
	l.entries = append(l.entries, [2]string{strconv.FormatInt(ms, 10), lvl})
	l.messages = append(l.messages, lvl+": "+msg)
}

func (l *levelLog) snapshot() [][2]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][2]string(nil), l.entries...)
}

// watchStatus polls /status every 20 ms and logs sensor's level until the
// test ends: the daemon's own state, to compare the page with.
func watchStatus(t *testing.T, base, sensor string) *levelLog {
	log := &levelLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"/status", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			var st struct {
				Sensors []struct{ Name, Level, Message string }
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			now := time.Now().UnixMilli()
			if err != nil {
				continue
			}
			for _, s := range st.Sensors {
				if s.Name == sensor {
					log.add(now, s.Level, s.Message)
				}
			}
		}
	}()
	return log
}

func waitHTTP(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not answering 200 within %v (last error %v)", url, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recordLevels makes the page log each change of lidar0's level badge,
// with the page's clock, in window.levelLog.
const recordLevels = `(() => {
	const badge = document.querySelector('article.sensor[data-sensor="lidar0"] .badge');
	window.levelLog = [[Date.now(), badge.textContent]];
	new MutationObserver(() => {
		const l = badge.textContent, log = window.levelLog;
		if (log[log.length - 1][1] !== l) log.push([Date.now(), l]);
	}).observe(badge, { childList: true, characterData: true, subtree: true });
	return true;
})()`

// TestDashboardShowsFaultInBrowser runs trustd on a simulated LiDAR and
// camera whose scenario fogs the LiDAR at a known time, opens the dashboard
// in Chromium, and requires every sensor on the page, every level the
// daemon's /status went through shown on the page within a second, and so
// the fog's ERROR too.
func TestDashboardShowsFaultInBrowser(t *testing.T) {
	if raceEnabled {
		t.Skip("make test runs this without the race detector: under it the simulated sensors are too slow to stay OK")
	}
	tab := browsertest.New(t, 1200, 800) // first, so that it closes last
	dir := t.TempDir()
	const onset = 12 * time.Second
	scenario := filepath.Join(dir, "fog.yaml")
	os.WriteFile(scenario, []byte(fmt.Sprintf(
		"name: browser-fog\nevents:\n  - at: %s\n    sensor: lidar0\n    fault: fog\n    severity: 3\n", onset)), 0o644)
	models, err := filepath.Abs("../../deploy/models")
	if err != nil {
		t.Fatal(err)
	}
	mqttPort, httpPort := freePorts(t)
	cfg := fmt.Sprintf(`robot: browserbot
state_dir: %s
http:
  listen: 127.0.0.1:%d
mqtt:
  broker: tcp://127.0.0.1:%d
  heartbeat: 1s
  embedded:
    enabled: true
    listen: 127.0.0.1:%d
models:
  dir: %s
  allow_unsigned: true
sensors:
  - name: lidar0
    driver: sim-lidar
    scenario: %s
    period: 100ms
  - name: cam0
    driver: sim-camera
    scenario: %s
    width: 320
    height: 240
    period: 100ms
`, filepath.Join(dir, "state"), httpPort, mqttPort, mqttPort, models, scenario, scenario)
	cfgPath := filepath.Join(dir, "trustd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	stderr := startTrustd(t, cfgPath)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	waitHTTP(t, base+"/status", 15*time.Second)
	daemon := watchStatus(t, base, "lidar0")

	ctx, cancel := context.WithTimeout(tab.Ctx, onset+time.Minute)
	defer cancel()
	// Every sensor is on the page, in configuration order, with its model.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Poll[chromedp.Void](`['lidar0', 'cam0'].every(n => {
			const c = document.querySelector('article.sensor[data-sensor="' + n + '"]');
			return c && c.querySelector('h2').textContent === n && c.querySelector('.facts').textContent.includes('-default');
		}) && Array.from(document.querySelectorAll('article.sensor'), c => c.dataset.sensor).join() === 'lidar0,cam0'`,
			chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate[chromedp.Void](recordLevels),
	); err != nil {
		t.Fatalf("page: %v\nstderr:\n%s", err, stderr.String())
	}
	recording := time.Now().UnixMilli()
	cut := started.Add(onset).UnixMilli()

	// Wait for the fog's ERROR in the daemon, and a second more for the page.
	deadline := time.Now().Add(onset + 30*time.Second)
	var errorAt int64
	for errorAt == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("lidar0 never ERROR in /status after the fog at +%v: %v", onset, daemon.snapshot())
		}
		time.Sleep(100 * time.Millisecond)
		errorAt = enteredAfter(daemon.snapshot(), "ERROR", cut)
	}
	time.Sleep(1500 * time.Millisecond)
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[][2]any](`window.levelLog`))
	if err != nil {
		t.Fatal(err)
	}
	var page [][2]string
	for _, e := range raw {
		page = append(page, [2]string{strconv.FormatInt(int64(e[0].(float64)), 10), e[1].(string)})
	}
	dEntries := daemon.snapshot()
	t.Logf("started %d, fog at %d; daemon %v; page %v", started.UnixMilli(), cut, dEntries, page)
	daemon.mu.Lock()
	for _, m := range daemon.messages {
		t.Log("/status: " + m)
	}
	daemon.mu.Unlock()

	// Every level /status went through (from a second after the page
	// started recording until a second ago) is on the page within a
	// second of it. The page may be first: it is pushed each change,
	// /status is polled.
	checked := 0
	horizon := time.Now().Add(-time.Second).UnixMilli()
	for i := 1; i < len(dEntries); i++ {
		td, _ := strconv.ParseInt(dEntries[i][0], 10, 64)
		if td < recording+1000 || td > horizon {
			continue
		}
		checked++
		if !slices.Contains(levelsDuring(page, td-1000, td+1000), dEntries[i][1]) {
			t.Errorf("/status went %s at %d; the page showed only %v within a second of it",
				dEntries[i][1], td, levelsDuring(page, td-1000, td+1000))
		}
	}
	if checked == 0 {
		t.Errorf("no level change of /status to compare the page with")
	}
	// The fog itself: lidar0 leaves OK in /status after the onset, and on
	// the page within a second.
	left := leftOK(dEntries, cut)
	if left == 0 {
		t.Fatalf("lidar0 was not OK in /status before the fog: %v", dEntries)
	}
	pageLeft := int64(0)
	for _, e := range page {
		if tp, _ := strconv.ParseInt(e[0], 10, 64); tp >= left-1000 && e[1] != "OK" {
			pageLeft = tp
			break
		}
	}
	if pageLeft == 0 || pageLeft-left > 1000 {
		t.Errorf("/status left OK at %d after the fog; the page at %d", left, pageLeft)
	}
	t.Logf("fog at +%v: /status left OK at +%v, the page %+d ms from it; /status ERROR at +%v",
		onset, time.Duration(left-started.UnixMilli())*time.Millisecond, pageLeft-left,
		time.Duration(errorAt-started.UnixMilli())*time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`document.getElementById('summary-level').textContent !== 'OK'`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the robot summary stayed OK on the page: %v", err)
	}
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

// leftOK returns the time of the first change from OK to another level at
// or after from (Unix ms), or 0.
func leftOK(entries [][2]string, from int64) int64 {
	for i := 1; i < len(entries); i++ {
		t, _ := strconv.ParseInt(entries[i][0], 10, 64)
		if t >= from && entries[i-1][1] == "OK" && entries[i][1] != "OK" {
			return t
		}
	}
	return 0
}

// levelsDuring returns the levels shown between from and to (Unix ms):
// the one in force at from and every one entered until to.
func levelsDuring(entries [][2]string, from, to int64) []string {
	var out []string
	for _, e := range entries {
		t, _ := strconv.ParseInt(e[0], 10, 64)
		switch {
		case t <= from:
			out = append(out[:0], e[1])
		case t <= to:
			out = append(out, e[1])
		}
	}
	return out
}

// enteredAfter returns the time of the first entry at or after from (Unix
// ms) whose level is lvl, or 0.
func enteredAfter(entries [][2]string, lvl string, from int64) int64 {
	for _, e := range entries {
		t, _ := strconv.ParseInt(e[0], 10, 64)
		if t >= from && e[1] == lvl {
			return t
		}
	}
	return 0
}

// TestDashboardScreenshot regenerates the dashboard's picture in the docs:
// trustd on the default demo configuration (deploy/run.yaml, what make run
// runs) on free ports, photographed DASHBOARD_SCREENSHOT_AT (default 100s)
// into the scenario. It runs only when DASHBOARD_SCREENSHOT names the PNG
// to write (relative to the repository root):
//
//	DASHBOARD_SCREENSHOT=docs/dashboard.png go test -run DashboardScreenshot -timeout 10m ./cmd/trustd
func TestDashboardScreenshot(t *testing.T) {
	out := os.Getenv("DASHBOARD_SCREENSHOT")
	if out == "" {
		t.Skip("set DASHBOARD_SCREENSHOT=docs/dashboard.png to regenerate the dashboard's picture")
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join("..", "..", out)
	}
	at := 100 * time.Second
	if s := os.Getenv("DASHBOARD_SCREENSHOT_AT"); s != "" {
		var err error
		if at, err = time.ParseDuration(s); err != nil {
			t.Fatalf("DASHBOARD_SCREENSHOT_AT: %v", err)
		}
	}
	tab := browsertest.New(t, 1200, 800)
	dir := t.TempDir()
	b, err := os.ReadFile("../../deploy/run.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	mqttPort, httpPort := freePorts(t)
	models, _ := filepath.Abs("../../deploy/models")
	cfg["state_dir"] = filepath.Join(dir, "state")
	cfg["log_level"] = "warn"
	cfg["http"].(map[string]any)["listen"] = fmt.Sprintf("127.0.0.1:%d", httpPort)
	mq := cfg["mqtt"].(map[string]any)
	mq["broker"] = fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)
	mq["embedded"].(map[string]any)["listen"] = fmt.Sprintf("127.0.0.1:%d", mqttPort)
	cfg["models"].(map[string]any)["dir"] = models
	if b, err = yaml.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "run.yaml")
	os.WriteFile(cfgPath, b, 0o644)
	started := time.Now()
	stderr := startTrustd(t, cfgPath)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	waitHTTP(t, base+"/status", 15*time.Second)
	ctx, cancel := context.WithTimeout(tab.Ctx, at+time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`article.sensor canvas`)); err != nil {
		t.Fatalf("page: %v\nstderr:\n%s", err, stderr.String())
	}
	time.Sleep(time.Until(started.Add(at)))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes) at +%v", out, len(png), time.Since(started).Round(time.Second))
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}
