// Package chaos checks trustd's MQTT wire contract (docs/mqtt.md,
// "Consumer contract") while the world around it fails: the broker
// restarts, trustd is killed (SIGKILL) and stopped (SIGTERM) and started
// again, its state disk fills up, and hostile commands arrive.
//
// The package holds the bookkeeping; the test (chaos_test.go) runs the real
// trustd binary with simulated sensors against a real mosquitto and feeds
// it. A Ledger compares the level changes trustd logged (one log line per
// change, numbered 1, 2, 3, ... within a run) with the changes a consumer
// received, and judges each read of the reference consumer
// (transport/consumer): trusting a state whose expires has passed, or a
// trustd that has been down for longer than a state can live, is a
// stale-trust read.
//
// The short form runs in `make test`; `make chaos` runs the long form
// (CHAOS_DURATION, default one hour) and checks trustd's resident memory.
package chaos
