package dashboard

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/level"
)

// Change is a level change of one sensor, or of the robot summary when
// Sensor is empty, as the agent reported it.
type Change struct {
	Sensor  string         `json:"sensor,omitempty"`
	Level   level.Level    `json:"level"`
	Cause   level.Cause    `json:"cause,omitempty"`
	Message string         `json:"message"`
	Reasons []level.Reason `json:"reasons,omitempty"`
	Seq     uint64         `json:"seq"`
	Time    time.Time      `json:"time"`
}

// point is one sampled score of a sensor. It encodes as the JSON array
// [unix ms, score, threshold, level number], which keeps a few minutes of
// history small.
type point struct {
	T                int64
	Score, Threshold float64
	Level            level.Level
}

func (p point) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 48)
	b = append(b, '[')
	b = strconv.AppendInt(b, p.T, 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, finite(p.Score), 'g', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, finite(p.Threshold), 'g', 6, 64)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(p.Level), 10)
	return append(b, ']'), nil
}

// history is what a newly opened page starts from: the samples and
// changes of the last span.
type history struct {
	span    time.Duration
	points  map[string][]point
	changes []Change
}

// maxChanges bounds the changes kept however often levels flap.
const maxChanges = 512

func (h *history) addStatus(st agent.Status) {
	t := st.Time.UnixMilli()
	for _, s := range st.Sensors {
		h.points[s.Name] = append(h.points[s.Name], point{T: t, Score: s.Score, Threshold: s.Threshold, Level: s.Level})
	}
	h.trim(st.Time)
}

func (h *history) addChange(c Change) {
	h.changes = append(h.changes, c)
	if n := len(h.changes) - maxChanges; n > 0 {
		h.changes = append(h.changes[:0:0], h.changes[n:]...)
	}
	h.trim(c.Time)
}

// trim drops what is older than span before now, and sensors with nothing
// left (a sensor removed by a reload).
func (h *history) trim(now time.Time) {
	cut := now.Add(-h.span)
	ms := cut.UnixMilli()
	for name, ps := range h.points {
		i := 0
		for i < len(ps) && ps[i].T < ms {
			i++
		}
		switch {
		case i == len(ps):
			delete(h.points, name)
		case i > 0:
			h.points[name] = ps[i:]
		}
	}
	i := 0
	for i < len(h.changes) && h.changes[i].Time.Before(cut) {
		i++
	}
	h.changes = h.changes[i:]
}

func (h *history) MarshalJSON() ([]byte, error) {
	changes := h.changes
	if changes == nil {
		changes = []Change{}
	}
	return json.Marshal(struct {
		Span    int64              `json:"span_ms"`
		Points  map[string][]point `json:"points"`
		Changes []Change           `json:"changes"`
	}{h.span.Milliseconds(), h.points, changes})
}
