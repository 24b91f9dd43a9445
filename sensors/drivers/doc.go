// Package drivers is the one place that lists the sensor drivers built into
// trustd: Registry returns a sensorreg.Registry of them, which the
// configuration loader, the daemon and the tests share. Adding a driver is
// a package with a sensorreg.Driver and one line here.
package drivers
