// Package evaluation is the one evaluation of a model's detection that
// trustctl reports: `trustctl eval` on recordings the user names,
// `trustctl models --eval` and `trustctl results` on held-out recordings
// with every catalogue fault injected.
//
// Every frame is judged by trustd's own judge (agent.Judge driven by
// agent.Replay: the fixed-point score, stream checks, frozen check, health
// model and k-of-n persistence), and scored beside it by the baseline
// scorers for comparison. From the scores and verdicts it computes, per
// fault and severity, AUROC, FPR at 95 % TPR and AUPR (fault frames
// positive, clean frames negative), the fractions of fault frames above the
// threshold and judged ERROR or STALE, the detection latency in frames, and
// false alarms per hour on clean stretches; and renders them as a
// report.Table and a report.Report.
//
// Scores are in nats (higher is less trustworthy), latencies in frames,
// rates per hour of recording time. The package reads labels files but
// writes nothing; callers print and write the results.
package evaluation
