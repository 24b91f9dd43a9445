// Package decision turns per-frame evidence about one sensor into its trust
// level: OK, WARN, ERROR or STALE, a Trusted flag for consumers,
// machine-readable reasons and a one-line message.
//
// Evidence per frame is the frame score against its calibrated threshold
// (score > threshold is a bad frame), plus reasons from the other checks
// (stream timing, health autoencoder, frozen content), each carrying the
// level it asks for. A frame is bad when any evidence asks for ERROR,
// suspect when the worst asks for WARN, clean otherwise. The persistence
// rule counts the frames of each calibrated alarm (frame score, its rise,
// health model) apart, since each alarm is calibrated for the rule on its
// own frames; certain evidence (integrity checks, stream timing) counts
// with every alarm.
//
// Persistence keeps single outliers from flipping the published level:
//
//	enter ERROR  when at least K of the last N frames were bad by one
//	             alarm, or the content of at least SustainK of the last
//	             SustainN frames was suspect (a weak fault that does not end)
//	leave ERROR  after M consecutive frames that were neither bad nor
//	             suspect while the sustained rule holds
//	enter WARN   when at least WarnK of the last N frames were suspect by
//	             one alarm; left when none of the last N was suspect
//	STALE        no frame within the stream's stale timeout (overrides all;
//	             the history is cleared, so data resuming starts afresh);
//	             also the start, before any frame was judged (Unjudged),
//	             and the end, when the agent stops judging (Stop)
//
// Trusted is false for ERROR and STALE only. Defaults: K=3, N=5, M=10
// (one second at 10 Hz); the sustained rule is off (SustainK=0) unless
// configured, for example 25 of SustainN=50.
//
// AlarmThreshold and AlarmTail calibrate a threshold for this rule, not
// for single frames, on clean runs of scores: the level at which it would
// never have entered ERROR on them, and the level at which it enters ERROR
// at a target rate per hour by the tail of their largest episodes.
package decision
