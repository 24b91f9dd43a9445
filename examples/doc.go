// Package examples holds consumers of trustd's trust flags written in other
// languages than Go, and the tests that hold them to the consumer contract
// of docs/mqtt.md: consumer.py, in Python with paho-mqtt, must reach the
// same verdict as the Go reference (transport/consumer) on the same
// messages.
package examples
