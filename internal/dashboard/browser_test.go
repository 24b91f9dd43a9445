package dashboard

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/internal/browsertest"
)

// hostile is text a sensor could carry that an HTML parser would act on.
const hostile = `<img src=x onerror="window.pwned=1">`

// TestPageInBrowser renders the page in Chromium on a hub fed with hostile
// text: every piece of it shows as text, nothing runs, the plot is drawn,
// the policy blocks nothing the page needs, and a one-frame ERROR that no
// snapshot sampled shows in the sensor's change list.
func TestPageInBrowser(t *testing.T) {
	tab := browsertest.New(t, 1200, 800)
	var mu sync.Mutex
	score := 1.0
	status := func() (agent.Status, bool) {
		mu.Lock()
		defer mu.Unlock()
		score *= 1.05
		return agent.Status{
			Robot: hostile, Time: time.Now(),
			Summary: agent.SummaryStatus{Level: level.Warn, Message: "summary " + hostile},
			Sensors: []agent.SensorStatus{{
				Name: hostile, Kind: "lidar", Level: level.Warn, Cause: level.CauseSensor, Message: "message " + hostile,
				Reasons: []level.Reason{{Code: level.Code(hostile), Feature: hostile, Value: 3, Level: level.Warn}},
				Score:   score, Threshold: 8, Model: hostile + "@" + hostile, RateHz: 10, SourceError: hostile,
				DeviceError: "device " + hostile, ModelCoverage: []string{"too_little_data"},
			}},
			Host: &agent.HostStatus{Level: level.OK, Phase: agent.PhaseState("judging"), Detail: hostile, Features: map[string]float64{hostile: 1}},
		}, true
	}
	h, err := New(Options{Status: status, Rate: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the hub ends the page's stream, then the
	// server closes, then the browser.
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	runHub(t, h)

	ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`article.sensor canvas`),
		chromedp.Poll[chromedp.Void](`document.getElementById('conn').textContent === 'live'`),
	); err != nil {
		t.Fatalf("page: %v", err)
	}
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
		const card = document.querySelector('article.sensor');
		return {
			robot: document.getElementById('robot').textContent,
			summary: document.getElementById('summary-message').textContent,
			name: card.querySelector('h2').textContent,
			dataset: card.dataset.sensor,
			message: card.querySelector('.message').textContent,
			reason: card.querySelector('.reasons li').textContent,
			facts: card.querySelector('.facts').textContent,
			badge: card.querySelector('.badge').textContent,
			host: document.getElementById('host-detail').textContent,
			hostFeatures: document.getElementById('host-features').textContent,
			imgs: String(document.querySelectorAll('img').length),
			pwned: String(window.pwned),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"robot": hostile, "summary": "summary " + hostile, "name": hostile, "dataset": hostile,
		"message": "message " + hostile, "badge": "WARN", "host": hostile, "imgs": "0", "pwned": "undefined",
	}
	for k, v := range want {
		if texts[k] != v {
			t.Errorf("%s: page shows %q, want %q", k, texts[k], v)
		}
	}
	for _, k := range []string{"reason", "facts", "hostFeatures"} {
		if !strings.Contains(texts[k], hostile) {
			t.Errorf("%s: page shows %q, want the text %q in it", k, texts[k], hostile)
		}
	}
	for _, f := range []string{"device " + hostile, "too little data"} {
		if !strings.Contains(texts["facts"], f) {
			t.Errorf("facts: page shows %q, want %q in it", texts["facts"], f)
		}
	}

	// The plot has ink: the level band, the threshold and the score line.
	inked, err := chromedp.Run(ctx, chromedp.Poll[int](`(() => {
		const c = document.querySelector('canvas.plot');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
		return n > 1000 ? n : 0;
	})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Errorf("plot never drawn: %v", err)
	} else {
		t.Logf("plot: %d painted pixels", inked)
	}

	// A one-frame ERROR: the snapshots keep saying WARN, the change list
	// keeps the ERROR.
	h.Tap(nil).ReportSensor(context.Background(), &agent.SensorReport{
		Sensor: hostile, Time: time.Now(), Seq: 9,
		Judge: agent.Snapshot{State: decision.State{Level: level.Error, Cause: level.CauseSensor}},
	})
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`Array.from(document.querySelectorAll('.changes li')).some(li => li.textContent.includes('→ ERROR (sensor)'))`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("one-frame ERROR not in the change list: %v", err)
	}
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}
