// Package transport is how trust leaves the robot: the publisher stage
// contract, the JSON payloads the agent fills in, and the MQTT topic layout.
//
// The agent builds a State (one sensor), a Summary (the robot) or a Health
// (the host model), turns it into a Message with the Topics builder and hands
// it to a Publisher. The implementations live in subpackages:
//
//   - transport/outbox: durable, bounded store-and-forward in the state
//     directory; it is the Publisher the daemon hands to the agent, and
//     its Sequencer numbers changes above every earlier run's (a boot epoch).
//   - transport/wire: encodes the agent's reports as these messages.
//   - transport/consumer: the consumer's side, when a sensor may be trusted.
//   - transport/mqtt: the paho MQTT 3.1.1 client behind the same contract.
//   - transport/broker: the embedded mochi-mqtt broker for the zero-set-up default.
//   - transport/command: strict parsing and dispatch of operator commands.
//   - transport/transporttest: fakes for tests of the stages upstream.
//
// Payload field names map one-to-one onto ROS diagnostic_msgs/DiagnosticStatus
// (name, level, message, hardware_id, values) so an MQTT-to-ROS bridge needs
// no code; level is the string "OK", "WARN", "ERROR" or "STALE" and level_code
// carries the DiagnosticStatus byte (0, 1, 2, 3). The JSON Schema is in
// docs/trust-state.schema.json. Times are RFC 3339 with nanoseconds, in UTC.
package transport
