package firmware

import "github.com/sensortrust/trustagent/sensors"

// KindHost is the header kind of a host bundle: it carries the host health
// model of the robot's own computer (package agent/host), not a sensor's
// models. It is a header value only, outside the range of sensors.Kind's
// sensor kinds, so no sensor can ever have it: a Policy for a sensor refuses
// a host bundle, and a Policy with Kind KindHost refuses every sensor's.
const KindHost sensors.Kind = 128

// KindName names a bundle's kind: "host" for KindHost, else the sensor
// kind's name.
func KindName(k sensors.Kind) string {
	if k == KindHost {
		return "host"
	}
	return k.String()
}

// ParseKindName is the inverse of KindName for the kinds a bundle may have.
func ParseKindName(s string) (sensors.Kind, bool) {
	if s == "host" {
		return KindHost, true
	}
	return sensors.ParseKind(s)
}
