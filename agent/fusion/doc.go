// Package fusion summarises the per-sensor trust decisions and the host
// model into one robot-level level and cause.
//
// With W the worst level among the sensors and the host (STALE counts as
// the worst), the cause is decided by the sensors at level W:
//
//	environment  one of them degraded by its content (models, frozen data)
//	             while a sensor of another kind (LiDAR vs camera) is also
//	             content-degraded (WARN or worse): weather, dust, glare
//	             affect every sensor that looks at the scene
//	sensor       one of them degraded by its content, alone
//	stream       timing faults or STALE; reported as host instead when the
//	             host model is degraded too, since an overloaded host
//	             delays and drops frames
//	host         only the host model is degraded
//
// The summary is trusted when every sensor is trusted.
package fusion
