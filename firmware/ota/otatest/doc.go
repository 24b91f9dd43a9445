// Package otatest provides an in-memory MQTT bus implementing ota.Client
// for tests: exact-topic subscriptions, retained messages, synchronous
// in-order delivery, and clients that can be cut off to simulate a
// disconnect.
package otatest
