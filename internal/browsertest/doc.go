// Package browsertest opens pages in a real headless Chromium (Debian's
// chromium package) for tests, driven with chromedp.
//
// New finds the chromium binary on PATH: when it is missing, the test
// fails under CI=true and is skipped otherwise. Running as root (as CI
// does), Chromium runs without its sandbox. Uncaught script exceptions and
// console errors of the page (a Content-Security-Policy violation is one)
// are collected, so that a test can require a page that runs cleanly.
package browsertest
