// Package config reads trustd's configuration: one YAML file, strict (an
// unknown key or a bad value is an *Error that names the key and its line),
// with a few per-robot overrides from the environment and flags.
//
// Each sensor entry has the keys name, driver, bundle and period; its other
// keys are the options of its driver, decoded and validated by the driver
// itself through the sensorreg.Registry the file is parsed with. The MQTT
// keys are validated by the MQTT session's own validation, names by the
// transport's topic rules.
//
// Parse and Validate do no I/O. Check does what the daemon does with a
// configuration before starting anything: it builds every sensor's source
// (opening no device) and reads the MQTT TLS and password files.
// trustd --check-config and the daemon both run Parse, the overrides,
// Validate and Check, so a file one accepts the other starts with.
//
// Durations are Go durations ("100ms", "5s"); addresses are host:port;
// paths are absolute or relative to the working directory.
package config
