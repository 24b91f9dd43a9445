// Package dashboard is trustd's live page: one self-contained HTML page
// (HTML, CSS and hand-written JavaScript embedded in the binary, nothing
// fetched from elsewhere) that shows each sensor's trust level, its score
// against its threshold over the last minutes, its reasons, cause, model and
// stream rate, the robot summary and the host's health, updated by
// server-sent events.
//
// A Hub samples the agent's Status at a steady rate (Options.Rate, 10 Hz by
// default) and fans each snapshot out to the connected pages; level changes
// of a sensor or of the summary reach it through Tap (an agent.Reporter that
// forwards to the real reporter) and are pushed at once as their own events,
// so a WARN that lasts one frame shows even when no snapshot sampled it. The
// hub keeps the last Options.History of samples and changes so that a page
// opened during an incident shows what led to it.
//
// Handler serves, read-only (GET and HEAD only):
//
//	/              the page
//	/assets/...    its script and style sheet
//	/events        text/event-stream: "history" once, then "snapshot"
//	               (the /status JSON) and "change" events
//
// Every page is a client of the hub with a bounded buffer: a client that
// does not keep up loses updates (the next snapshot carries the whole
// state again), never grows memory, and at most Options.MaxClients pages
// are served at once. A stream lives until the page goes away or the hub
// stops; each write extends the connection's write deadline, so a server
// WriteTimeout bounds one write, not the stream.
//
// The page never changes anything on the robot; all text from sensors is
// set as text (never parsed as HTML), and a Content-Security-Policy allows
// only the page's own script, style and event stream.
package dashboard
