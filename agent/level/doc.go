// Package level holds the vocabulary every stage of the trust agent speaks:
// the four diagnostic levels (OK, WARN, ERROR, STALE, numbered as in ROS
// diagnostic_msgs/DiagnosticStatus) and machine-readable reasons.
//
// It is a leaf package so that the stream checks, the health models, the
// decision and the fusion can share the types without importing each other.
// Package decision re-exports Level for consumers.
package level
