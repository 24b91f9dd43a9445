// Package command parses and dispatches operator commands that arrive on
// <prefix>/cmd/<name> and publishes each reply on <prefix>/cmd/<name>/reply.
//
// A command runs only when its name is enabled in the configuration and a
// handler is registered for it. Payloads are untrusted: they are decoded
// strictly (transport.DecodeStrict: one JSON object, no unknown fields, no
// trailing data, at most transport.MaxCommandBytes, fields validated), and
// every failure is answered with ok=false and the reason, never a panic.
//
// Built-in payloads:
//
//	recalibrate  {"id":"42","sensor":"lidar0","minutes":10}
//	loglevel     {"id":"43","level":"debug"}
//	model        registered by the model-update code with Handle
package command
