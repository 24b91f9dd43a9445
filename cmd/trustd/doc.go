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
// Signals: SIGTERM and SIGINT stop it within 5 s after flushing what must not
// be lost; SIGHUP reloads the configuration and the models without dropping
// the MQTT session.
//
// Exit codes:
//
//	0  stopped on request
//	1  a runtime failure (broker bind, state directory, a source that cannot start)
//	2  bad usage or an invalid configuration
package main
