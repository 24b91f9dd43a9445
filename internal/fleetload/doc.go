// Package fleetload simulates a fleet of trustd agents against a real MQTT
// broker, to measure fleet views (trustctl watch) and the broker under the
// load of a whole fleet.
//
// Each simulated robot has its own connection, as trustd has: client id
// trustd-<robot>, CleanSession=false, the retained last will "offline" on
// <prefix>/<robot>/status and the retained birth "online". It publishes,
// retained at QoS 1, the state of each of its sensors and its summary at
// every heartbeat, with the seq and expires of the trust contract
// (docs/mqtt.md), and now and then changes the level of one sensor (a new
// seq, published at once). The payloads are encoded by package transport,
// so they are the size and shape trustd sends.
//
// The protocol is spoken with paho's packet codec over plain TCP, two
// goroutines per robot, so that one process can stand in for thousands of
// robots. Package fleetload also reads the CPU time and peak resident set
// of a process from /proc, for the measurements.
package fleetload
