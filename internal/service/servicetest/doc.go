// Package servicetest fakes the systemd service manager for tests: a
// unixgram socket named by NOTIFY_SOCKET that collects what a service sends
// over the sd_notify protocol.
package servicetest
