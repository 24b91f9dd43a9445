// Package config reads trustd's configuration: one YAML file, strict (an
// unknown key or a bad value is an error that names the key and its line),
// with a few per-robot overrides from the environment and flags.
//
// Durations are Go durations ("100ms", "5s"); addresses are host:port;
// paths are absolute or relative to the working directory.
package config
