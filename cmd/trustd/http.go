package main

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// statusIdleTimeout closes a keep-alive connection of the status server
// that has been idle this long: a scraper that never hangs up cannot pile up
// connections on a small robot.
const statusIdleTimeout = 60 * time.Second

// newStatusServer is the status server: every phase of a request is
// bounded, so a slow or stuck client holds nothing for long.
func newStatusServer(h http.Handler, idle time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       idle,
	}
}

// handler serves the local status endpoints and, at every other path, the
// read-only dashboard.
func (d *daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", d.dash.Handler())
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", d.healthz())
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		p := d.current()
		if p == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(p.Status())
	})
	return mux
}

// healthz answers 200 while the pipeline's progress counter moves and 503
// when it has not moved for healthStall.
func (d *daemon) healthz() http.HandlerFunc {
	const healthStall = 5 * time.Second
	var (
		mu       sync.Mutex
		last     uint64
		lastMove = time.Now()
	)
	return func(w http.ResponseWriter, _ *http.Request) {
		p := d.current()
		if p == nil {
			http.Error(w, "starting\n", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		now := p.Progress()
		if now != last {
			last, lastMove = now, time.Now()
		}
		stalled := time.Since(lastMove)
		mu.Unlock()
		if stalled > healthStall {
			http.Error(w, "pipeline stalled for "+stalled.Round(time.Second).String()+"\n", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	}
}
