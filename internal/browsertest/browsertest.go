package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Tab is one browser tab. Ctx is its chromedp context (pass it to
// chromedp.Run and chromedp.Do); it ends, with the browser, when the test
// ends.
type Tab struct {
	Ctx context.Context

	mu   sync.Mutex
	errs []string
}

// Chromium returns the path of the chromium binary. When there is none,
// it fails the test under CI=true and skips it otherwise.
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (Debian: apt-get install chromium): %v", err)
		}
		t.Skipf("chromium is not installed (Debian: apt-get install chromium): %v", err)
	}
	return p
}

// New starts a headless Chromium with a viewport of width×height CSS
// pixels and returns a tab in it.
func New(t testing.TB, width, height int) *Tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("hide-scrollbars", true),
	)
	if os.Geteuid() == 0 { // Chromium refuses to run as root with its sandbox
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tab := &Tab{Ctx: ctx}
	// The first action starts the browser; the console is followed from
	// then on.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				tab.mu.Lock()
				tab.errs = append(tab.errs, m.String())
				tab.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	return tab
}

// Errors returns the page's uncaught exceptions and console errors so far
// (a Content-Security-Policy violation is a console error).
func (t *Tab) Errors() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.errs...)
}
