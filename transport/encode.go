package transport

import (
	"encoding/json"
	"fmt"
	"time"
)

// StateMessage validates s, fills its derived fields (schema, name,
// level_code, values when empty, time when zero) and returns the retained
// QoS 1 message for <prefix>/<sensor>: KindHeartbeat when s.Heartbeat is
// set, else KindState. s.Expires is required and must be after s.Time.
func (t Topics) StateMessage(s *State) (Message, error) {
	if err := CheckName(s.Sensor); err != nil {
		return Message{}, fmt.Errorf("transport: state: %w", err)
	}
	if !s.Level.Valid() {
		return Message{}, fmt.Errorf("transport: state %s: invalid level %q", s.Sensor, s.Level)
	}
	if !s.Cause.Valid() {
		return Message{}, fmt.Errorf("transport: state %s: invalid cause %q", s.Sensor, s.Cause)
	}
	s.Schema = SchemaVersion
	s.LevelCode = s.Level.Code()
	if s.Name == "" {
		s.Name = s.Robot + "/" + s.Sensor
	}
	if s.Time.IsZero() {
		s.Time = time.Now()
	}
	s.Time = s.Time.UTC()
	if !s.Expires.After(s.Time) {
		return Message{}, fmt.Errorf("transport: state %s: expires %v is not after its time %v", s.Sensor, s.Expires, s.Time)
	}
	s.Expires = s.Expires.UTC()
	if !s.Stamp.IsZero() {
		s.Stamp = s.Stamp.UTC()
	}
	if s.Reasons == nil {
		s.Reasons = []Reason{}
	}
	if len(s.Values) == 0 {
		s.Values = stateValues(s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return Message{}, fmt.Errorf("transport: state %s: %w", s.Sensor, err)
	}
	k := KindState
	if s.Heartbeat {
		k = KindHeartbeat
	}
	return Message{Topic: t.Sensor(s.Sensor), Payload: b, QoS: 1, Retained: true, Kind: k}, nil
}

// SummaryMessage validates s, fills its derived fields and returns the
// retained QoS 1 message for <prefix>/summary: KindHeartbeat when
// s.Heartbeat is set, else KindSummary. s.Expires is required and must be
// after s.Time.
func (t Topics) SummaryMessage(s *Summary) (Message, error) {
	if !s.Level.Valid() {
		return Message{}, fmt.Errorf("transport: summary: invalid level %q", s.Level)
	}
	if !s.Cause.Valid() {
		return Message{}, fmt.Errorf("transport: summary: invalid cause %q", s.Cause)
	}
	s.Schema = SchemaVersion
	s.LevelCode = s.Level.Code()
	if s.Name == "" {
		s.Name = s.Robot + "/summary"
	}
	if s.HardwareID == "" {
		s.HardwareID = s.Robot
	}
	if s.Time.IsZero() {
		s.Time = time.Now()
	}
	s.Time = s.Time.UTC()
	if !s.Expires.After(s.Time) {
		return Message{}, fmt.Errorf("transport: summary: expires %v is not after its time %v", s.Expires, s.Time)
	}
	s.Expires = s.Expires.UTC()
	if s.Sensors == nil {
		s.Sensors = []SensorLevel{}
	}
	if len(s.Values) == 0 {
		s.Values = []KeyValue{{"trusted", fmt.Sprint(s.Trusted)}, {"cause", string(s.Cause)}, {"seq", fmt.Sprint(s.Seq)},
			{"expires", s.Expires.Format(time.RFC3339Nano)}}
		for _, l := range s.Sensors {
			s.Values = append(s.Values, KeyValue{"sensor." + l.Sensor, string(l.Level)})
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return Message{}, fmt.Errorf("transport: summary: %w", err)
	}
	k := KindSummary
	if s.Heartbeat {
		k = KindHeartbeat
	}
	return Message{Topic: t.Summary(), Payload: b, QoS: 1, Retained: true, Kind: k}, nil
}

// HealthMessage validates h, fills its derived fields and returns the
// retained QoS 1 message for <prefix>/health.
func (t Topics) HealthMessage(h *Health) (Message, error) {
	if !h.Level.Valid() {
		return Message{}, fmt.Errorf("transport: health: invalid level %q", h.Level)
	}
	h.Schema = SchemaVersion
	h.LevelCode = h.Level.Code()
	if h.Name == "" {
		h.Name = h.Robot + "/health"
	}
	if h.Time.IsZero() {
		h.Time = time.Now()
	}
	h.Time = h.Time.UTC()
	if h.Reasons == nil {
		h.Reasons = []Reason{}
	}
	if h.Host.CPULoad == nil {
		h.Host.CPULoad = []float64{}
	}
	if len(h.Values) == 0 {
		h.Values = []KeyValue{
			{"score", fmtFloat(h.Score)}, {"threshold", fmtFloat(h.Threshold)},
			{"cpu_temp_c", fmtFloat(h.Host.CPUTempC)}, {"throttled", fmt.Sprint(h.Host.Throttled)},
			{"load1", fmtFloat(h.Host.Load1)}, {"mem_used_frac", fmtFloat(h.Host.MemUsedFrac)},
			{"rss_bytes", fmt.Sprint(h.Host.RSSBytes)}, {"state_free_bytes", fmt.Sprint(h.Host.StateFreeBytes)},
		}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return Message{}, fmt.Errorf("transport: health: %w", err)
	}
	return Message{Topic: t.Health(), Payload: b, QoS: 1, Retained: true, Kind: KindHealth}, nil
}

// StatusMessage returns the retained QoS 1 status message ("online" or "offline").
func (t Topics) StatusMessage(status string) Message {
	return Message{Topic: t.Status(), Payload: []byte(status), QoS: 1, Retained: true, Kind: KindStatus}
}

// stateValues flattens a State into DiagnosticStatus key/value pairs.
func stateValues(s *State) []KeyValue {
	v := make([]KeyValue, 0, 12+len(s.Reasons))
	v = append(v,
		KeyValue{"trusted", fmt.Sprint(s.Trusted)},
		KeyValue{"score", fmtFloat(s.Score)},
		KeyValue{"threshold", fmtFloat(s.Threshold)},
		KeyValue{"cause", string(s.Cause)},
		KeyValue{"seq", fmt.Sprint(s.Seq)},
		KeyValue{"expires", s.Expires.Format(time.RFC3339Nano)},
		KeyValue{"model", s.Model.ID + "@" + s.Model.Version},
		KeyValue{"rate_hz", fmtFloat(s.Window.RateHz)},
		KeyValue{"drops", fmt.Sprint(s.Window.Drops)},
		KeyValue{"latency_p95_ms", fmtFloat(s.Window.LatencyP95MS)},
	)
	if !s.Stamp.IsZero() {
		v = append(v, KeyValue{"stamp", s.Stamp.UTC().Format(time.RFC3339Nano)})
	}
	for i, r := range s.Reasons {
		key := fmt.Sprintf("reason.%d.%s", i, r.Code)
		if r.Feature != "" {
			key += "." + r.Feature
		}
		v = append(v, KeyValue{key, fmtFloat(r.Value)})
	}
	return v
}
