// Package deploy holds what goes onto a robot besides the binaries: the
// systemd unit, the packaged default configuration, the configuration that
// `make run` uses, and the Debian packaging description. Its tests check
// that the unit passes `systemd-analyze verify` and that every shipped
// configuration is valid.
package deploy
