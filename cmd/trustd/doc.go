// Command trustd is the trustagent daemon. It reads a robot's LiDAR and
// camera streams, decides frame by frame whether each can be trusted
// (OK / WARN / ERROR / STALE) and publishes the verdicts over MQTT.
//
// Usage:
//
//	trustd --config /etc/trustd/trustd.yaml
//	trustd --check-config FILE
//	trustd --version
//
// Signals: SIGTERM and SIGINT stop it within 5 s: every sensor is published
// STALE, what must not be lost is flushed, then the status goes offline;
// SIGHUP reloads the configuration and the models without dropping the MQTT
// session. It refuses to start when it cannot store a new boot epoch (the
// sequence numbers of its messages could repeat).
//
// Exit codes:
//
//	0  stopped on request
//	1  a runtime failure (broker bind, state directory, boot epoch)
//	2  bad usage or an invalid configuration
//
// --check-config runs the checks the daemon runs before it starts
// anything (package config's Validate and Check, after the environment and
// flag overrides), so a file it accepts is one the daemon starts with, and
// the daemon refuses a bad file with status 2 and the same message.
package main
