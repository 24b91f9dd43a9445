package dashboard

import (
	"embed"
	"errors"
	"fmt"
	"net/http"
	"time"
)

//go:embed assets/index.html assets/dashboard.css assets/dashboard.js assets/favicon.svg
var assets embed.FS

// contentSecurityPolicy allows the page its own script, style sheet and
// event stream and nothing else: no inline script, no other origin, no
// forms, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// keepAlive is how often an idle stream gets a comment line, so that a
// proxy or SSH tunnel in between does not close it.
const keepAlive = 15 * time.Second

// Handler serves the page, its assets and the event stream, GET and HEAD
// only. Mount it at "/" of the status server; more specific routes there
// (/metrics, /status) stay theirs.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", h.page.index)
	mux.Handle("GET /assets/dashboard.css", h.page.css)
	mux.Handle("GET /assets/dashboard.js", h.page.js)
	mux.Handle("GET /assets/favicon.svg", h.page.icon)
	mux.HandleFunc("GET /events", h.events)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		mux.ServeHTTP(w, r)
	})
}

// page is the embedded page, read once by New.
type page struct{ index, css, js, icon http.Handler }

func loadPage() (page, error) {
	var p page
	for _, a := range []struct {
		h           *http.Handler
		name, ctype string
	}{
		{&p.index, "assets/index.html", "text/html; charset=utf-8"},
		{&p.css, "assets/dashboard.css", "text/css; charset=utf-8"},
		{&p.js, "assets/dashboard.js", "text/javascript; charset=utf-8"},
		{&p.icon, "assets/favicon.svg", "image/svg+xml"},
	} {
		b, err := assets.ReadFile(a.name)
		if err != nil {
			return page{}, fmt.Errorf("dashboard: %w", err)
		}
		*a.h = asset(b, a.ctype)
	}
	return p, nil
}

func asset(b []byte, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(b)
	})
}

// events is one page's stream: the history, then snapshots and changes
// until the page goes away, a write fails or the hub stops.
func (h *Hub) events(w http.ResponseWriter, r *http.Request) {
	c, hist, err := h.subscribe()
	switch {
	case errors.Is(err, ErrTooManyClients):
		w.Header().Set("Retry-After", "5")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.unsubscribe(c)

	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(b []byte) error {
		// The server's WriteTimeout set one deadline for the whole
		// response; each write of the stream gets its own.
		if err := rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if r.Method == http.MethodHead {
		return
	}
	if send(append([]byte("retry: 2000\n\n"), hist...)) != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case msg = <-c.ch:
		case <-tick.C:
			msg = []byte(": keep-alive\n\n")
		}
		if send(msg) != nil {
			return
		}
	}
}
