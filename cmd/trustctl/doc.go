// Command trustctl is the operator's tool for trustagent: it trains and
// calibrates models on clean recordings, scores and evaluates recordings,
// converts and simulates sensor data, injects faults, builds and signs model
// bundles, pushes them to robots and probes the hardware of the machine it
// runs on.
//
// Each subcommand lives in a file of its own; main.go only dispatches.
package main
