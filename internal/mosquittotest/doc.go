// Package mosquittotest runs a real Debian mosquitto broker and mosquitto_sub
// subscriber for integration tests and benchmarks: the broker on a free
// loopback port with a generated configuration, stopped and restarted at
// will (to simulate an outage) and killed when the test ends.
//
// When mosquitto is missing the test is skipped, or fails when CI=true.
package mosquittotest
