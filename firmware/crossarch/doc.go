// Package crossarch holds only tests: a bundle carrying a real quantised
// likelihood model, recorded once on amd64, must pass the firmware
// self-test bit for bit on every architecture the agent ships for (run
// them with GOARCH=arm64 -exec qemu-aarch64 and GOARCH=arm GOARM=7 -exec
// qemu-arm). It is a separate package so firmware itself never depends on
// the scorer.
package crossarch
