// Package sensorreg is the registry of sensor drivers, in the spirit of
// periph's i2creg and telegraf's inputs.Add: each driver package describes
// itself with a Driver — its name, its options (a struct whose yaml tags are
// the keys a sensor entry may set besides name, driver, bundle and period)
// and its constructor — and the drivers a program is linked with are put in
// one Registry value.
//
// There is no package-level table and no init-time registration: a Registry
// is an ordinary value built in one place (package sensors/drivers builds
// trustd's), passed to whoever needs it (the configuration loader, the
// daemon, tests). Two registries never share state, and a test can build one
// from fakes.
//
// A driver's constructor validates its options and returns the source
// without opening the device, as periph's DefaultOpts constructors do:
// the device is opened in the source's Run, with reconnects, so a sensor
// unplugged at start-up shows STALE instead of stopping the daemon. The one
// kind of I/O a constructor may do is read data the options name as part of
// the configuration (the index of a recording folder, a fault scenario
// file), since a configuration naming a missing file is a wrong
// configuration, not a missing device.
//
// Errors about one option are *KeyError values naming the option's key, so
// that the configuration loader can point at the key and its line.
package sensorreg
