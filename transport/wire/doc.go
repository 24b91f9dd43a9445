// Package wire turns the agent's reports (agent.Reporter) into the MQTT
// messages of the trust contract (package transport: retained
// ROS-DiagnosticStatus-shaped JSON per sensor, the robot summary, the host
// health) and hands them to a transport.Publisher. The agent decides; this
// package alone decides how a decision looks on the wire.
package wire
