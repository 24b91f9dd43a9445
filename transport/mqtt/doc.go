// Package mqtt connects the agent to an MQTT 3.1.1 broker with
// github.com/eclipse/paho.mqtt.golang behind the transport.Publisher
// contract.
//
// Choices, and why:
//
//   - Stable client id and CleanSession=false: the broker keeps the session
//     (the command subscription and QoS 1 messages in flight) across
//     reconnects, and paho resends its unacknowledged messages after one.
//   - QoS 1 for state, summary, health and status: at least once; consumers
//     dedupe on the payload's seq. QoS 2 costs two more round trips for
//     nothing a seq cannot do.
//   - Everything retained except command replies, so a late subscriber gets
//     the current state at once.
//   - Last will "offline" and birth "online" on <prefix>/status, both
//     retained QoS 1; Close publishes "offline" before disconnecting.
//   - SetOrderMatters(false): paho calls message handlers on their own
//     goroutines; the command handler only copies the message into a bounded
//     channel (dropping and counting when full) and a Client goroutine
//     calls the user's handler, so paho's network loop never waits on us.
//   - Keepalive 30 s with a 10 s ping timeout: a dead link (cable, Wi-Fi,
//     NAT timeout) is found within 40 s, at 2 small packets a minute.
//   - Reconnect backoff: paho sleeps 1 s after a lost connection and doubles
//     up to MaxReconnectInterval (default 30 s, paho's own is 10 min, far too
//     long for a robot). The first connection is retried by Start with the
//     same doubling, and every failure is logged with the broker's reason.
//   - Tokens become errors: Publish waits on the token and ctx; Connect,
//     Subscribe and the status messages use ConnectTimeout / WriteTimeout.
//
// Publish returns once the broker acknowledged a QoS 1 message. While the
// connection is down paho keeps the message and sends it after
// reconnecting, so a caller without a deadline waits across an outage;
// the outbox (transport/outbox) is that caller, one message at a time.
//
// Subscriber is the read-only side, for fleet views: a clean session, no
// will, one QoS 0 subscription re-made after every reconnection, with the
// same TLS and credential settings and checks as the Client.
package mqtt
