package evaluation

// Metric is one scorer's detection quality on one fault group.
type Metric struct {
	AUROC float64 `json:"auroc"`
	FPR95 float64 `json:"fpr_at_95tpr"`
	AUPR  float64 `json:"aupr"`
}

// Group is the result of one fault at one severity (all recordings with it).
type Group struct {
	Fault    string            `json:"fault"`
	Severity int               `json:"severity"`
	Dirs     []string          `json:"dirs"`
	Frames   int               `json:"fault_frames"`
	Metrics  map[string]Metric `json:"metrics"`
	Flagged  float64           `json:"flagged_at_threshold"` // fault frames whose fixed score exceeds the threshold
	Error    float64           `json:"error_level"`          // fault frames judged ERROR or STALE by the decision
	// Decidable is Error over the fault frames from the one where the
	// persistence rule can first fire: the K-th frame of the fault's
	// episode (decision.Options.K), as the targets of a trust flag count.
	Decidable float64 `json:"error_level_decidable"`
	Episodes  int     `json:"episodes,omitempty"`
	Detected  int     `json:"detected,omitempty"`
	// PreAlarmed counts episodes that began while the decision was already
	// in ERROR (a false alarm running into the fault): no latency.
	PreAlarmed int `json:"pre_alarmed,omitempty"`
	// LatencyFrames is the mean number of frames from a fault's onset to
	// the first ERROR, over detected episodes (labelled streams only).
	LatencyFrames *float64 `json:"latency_frames,omitempty"`
}

// CleanResult describes the clean recording at the deployed operating point.
type CleanResult struct {
	Dir                string  `json:"dir"`
	Frames             int     `json:"frames"`
	Flagged            float64 `json:"flagged_at_threshold"`
	Error              float64 `json:"error_level"`
	Hours              float64 `json:"hours"`
	FalseAlarms        int     `json:"false_alarms"`
	FalseAlarmsPerHour float64 `json:"false_alarms_per_hour"`
}

// Result is the numbers of one evaluation (trustctl eval --json).
type Result struct {
	Model     string      `json:"model"`
	Sensor    string      `json:"sensor"`
	Threshold float64     `json:"threshold"`
	Scorers   []string    `json:"scorers"`
	Clean     CleanResult `json:"clean"`
	Groups    []Group     `json:"groups"`
	// MeanAUROC per severity ("1", "2", "3", "all") and scorer.
	MeanAUROC map[string]map[string]float64 `json:"mean_auroc"`
	// MedianLatency is the median number of frames from a fault's onset
	// to the first ERROR over the LatencyEpisodes episodes of severity 2
	// and 3, a missed episode counting as never; nil when at least half
	// were missed (or there were none).
	MedianLatency   *float64 `json:"median_latency_frames,omitempty"`
	LatencyEpisodes int      `json:"latency_episodes,omitempty"`
	// Labelled streams: false alarms on their clean stretches.
	StreamFalseAlarms        int     `json:"stream_false_alarms,omitempty"`
	StreamCleanHours         float64 `json:"stream_clean_hours,omitempty"`
	StreamFalseAlarmsPerHour float64 `json:"stream_false_alarms_per_hour,omitempty"`
	// Streams are the same, per labelled stream that has clean stretches.
	Streams []StreamAlarms `json:"streams,omitempty"`
	// CleanIsTrainingData is set by the caller when the clean recording
	// hashes to the model's training data hash (see TrainedOn): its false
	// alarms and the AUROCs against it are then optimistic.
	CleanIsTrainingData bool `json:"clean_is_training_data,omitempty"`
	// Seconds is the wall time of the run, which the caller measures.
	Seconds float64 `json:"seconds"`
}

// StreamAlarms are the false alarms on one labelled stream's clean
// stretches (from 20 frames after a fault ends to the next fault).
type StreamAlarms struct {
	Dir                string  `json:"dir"`
	CleanFrames        int     `json:"clean_frames"`
	CleanHours         float64 `json:"clean_hours"`
	FalseAlarms        int     `json:"false_alarms"`
	FalseAlarmsPerHour float64 `json:"false_alarms_per_hour"`
}
