// Package broker runs the embedded MQTT broker (github.com/mochi-mqtt/server/v2)
// for the zero-set-up default: trustd publishes to it on loopback and
// operators watch with `mosquitto_sub -h 127.0.0.1 -t 'trust/#' -v`.
//
// It binds to 127.0.0.1:1883 by default and refuses a non-loopback address
// unless users are configured (an open broker on a robot's network is an
// open door). Without users every client may connect and use every topic;
// with users, a client must present one of them, and each user's ACL (MQTT
// topic filters → read, write, readwrite or deny) limits what it may
// subscribe to and publish. Retained messages and sessions live in memory:
// they last as long as the daemon.
package broker
