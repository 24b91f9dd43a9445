#!/usr/bin/env python3
"""Reference consumer of trustd's trust flags over MQTT, in Python.

It follows the consumer contract of docs/mqtt.md:

  * a sensor is trusted only while its latest state says "trusted": true,
    that state's "expires" has not passed, and the robot's <prefix>/status
    is "online"; anything else, including no state at all, is not trusted;
  * the latest state is the one with the largest "seq": a state with a
    smaller seq is ignored (late or resent), a change with an equal seq too
    (a resend: delivery is at least once); a heartbeat with an equal seq
    moves the expiry on;
  * seq = epoch * 2**32 + n: within one run of trustd (one epoch) changes are
    numbered 1, 2, 3, ..., so a jump means lost changes; a larger epoch means
    trustd restarted;
  * STALE (no frame judged yet, trustd stopping) is not trusted, and the
    last will sets the status "offline".

It prints one line per sensor, and "summary" for the robot, whenever a
verdict changes (and with --once, once after that many seconds):

  lidar0: trusted (OK, seq 3:12, expires in 14.2 s)
  cam0: not trusted: state expired (OK, seq 3:4)

Needs paho-mqtt (Debian: apt-get install python3-paho-mqtt).

  examples/consumer.py --host 127.0.0.1 --robot r1
"""

import argparse
import json
import re
import sys
import threading
import time
from datetime import datetime, timezone

import paho.mqtt.client as mqtt

# Why a sensor is not trusted; the same words as transport/consumer.
NO_STATUS = "no status"
OFFLINE = "robot offline"
NO_STATE = "no state"
UNTRUSTED = "state not trusted"
EXPIRED = "state expired"

RESERVED = {"summary", "health", "status", "cmd"}
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_time(s):
    """RFC 3339 (trustd writes UTC, up to nanoseconds) to Unix seconds."""
    m = RFC3339.match(s or "")
    if not m:
        raise ValueError("bad time %r" % s)
    base, frac, zone = m.groups()
    t = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        t -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return t + (float(frac) if frac else 0.0)


def split_seq(seq):
    return seq >> 32, seq & 0xFFFFFFFF


class State:
    """What is kept of a sensor's (or the summary's) latest state."""

    def __init__(self, seq, level, trusted, expires):
        self.seq, self.level, self.trusted, self.expires = seq, level, trusted, expires


class Tracker:
    """Follows one robot's trust messages; safe for use from two threads."""

    def __init__(self, prefix, warn=None):
        self.prefix = prefix
        self.status = None
        self.states = {}  # sensor name, or "summary" -> State
        self.lock = threading.Lock()
        self.warn = warn or (lambda msg: None)

    def feed(self, topic, payload):
        if not topic.startswith(self.prefix + "/"):
            return
        level = topic[len(self.prefix) + 1:]
        with self.lock:
            if level == "status":
                self.status = payload.decode("utf-8", "replace")
                return
            if "/" in level or (level != "summary" and (level in RESERVED or not NAME.match(level))):
                return  # health, commands, replies
            if not payload:
                self.states.pop(level, None)  # a cleared retained message
                return
            try:
                p = json.loads(payload)
                seq = p["seq"]
                if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                    raise ValueError("seq %r" % seq)
                if level != "summary" and p.get("sensor") != level:
                    raise ValueError("state of sensor %r" % p.get("sensor"))
                if p.get("level") not in ("OK", "WARN", "ERROR", "STALE"):
                    raise ValueError("level %r" % p.get("level"))
                st = State(seq, p["level"], p.get("trusted") is True, parse_time(p["expires"]))
                heartbeat = p.get("heartbeat") is True
            except (ValueError, KeyError, TypeError) as e:
                self.warn("%s: bad payload ignored: %s" % (topic, e))
                return
            self._merge(level, st, heartbeat)

    def _merge(self, name, st, heartbeat):
        kept = self.states.get(name)
        if kept is None or st.seq > kept.seq:
            if kept is not None and not heartbeat:
                (ke, kn), (e, n) = split_seq(kept.seq), split_seq(st.seq)
                if e == ke and n > kn + 1:
                    self.warn("%s: %d change(s) lost in run %d (seq %d:%d after %d:%d)" % (name, n - kn - 1, e, e, n, ke, kn))
                elif e > ke:
                    self.warn("%s: trustd restarted (run %d)" % (name, e))
            self.states[name] = st
        elif st.seq == kept.seq and heartbeat and st.expires > kept.expires:
            kept.expires = st.expires

    def why(self, name, now):
        """Why name may not be trusted at now (Unix seconds), or None."""
        with self.lock:
            st = self.states.get(name)
            if self.status is None:
                return NO_STATUS
            if self.status != "online":
                return OFFLINE
            if st is None:
                return NO_STATE
            if not st.trusted:
                return UNTRUSTED
            if now >= st.expires:
                return EXPIRED
            return None

    def names(self):
        with self.lock:
            return sorted(self.states)

    def lines(self, now):
        with self.lock:
            names = sorted(n for n in self.states if n != "summary") + ["summary"]
            states = dict(self.states)
        out = []
        for name in names:
            why = self.why(name, now)
            st = states.get(name)
            detail = ""
            if st is not None:
                e, n = split_seq(st.seq)
                detail = "%s, seq %d:%d" % (st.level, e, n)
                if why is None:
                    detail += ", expires in %.1f s" % (st.expires - now)
            verdict = "trusted" if why is None else "not trusted: " + why
            out.append("%s: %s%s" % (name, verdict, " (%s)" % detail if detail else ""))
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1883)
    ap.add_argument("--robot", default="robot", help="robot id (topics trust/v1/<robot>/...)")
    ap.add_argument("--prefix", help="topic prefix, if not trust/v1/<robot>")
    ap.add_argument("--client-id", default="", help="stable id for a persistent session (default: a random one, clean session)")
    ap.add_argument("--once", type=float, metavar="SECONDS", help="print the verdicts once after SECONDS and exit")
    args = ap.parse_args(argv)

    def warn(msg):
        print(msg, file=sys.stderr, flush=True)

    tracker = Tracker(args.prefix or "trust/v1/%s" % args.robot, warn)
    clean = args.client_id == ""
    if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id=args.client_id, clean_session=clean)
    else:
        client = mqtt.Client(client_id=args.client_id, clean_session=clean)
    subscribed = threading.Event()

    def on_connect(c, userdata, flags, rc):
        if rc != 0:
            warn("connect refused: %s" % mqtt.connack_string(rc))
            return
        c.subscribe(tracker.prefix + "/#", qos=1)

    def on_subscribe(c, userdata, mid, granted):
        warn("subscribed to %s/#" % tracker.prefix)
        subscribed.set()

    def on_message(c, userdata, msg):
        tracker.feed(msg.topic, msg.payload)

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.reconnect_delay_set(1, 30)
    try:
        client.connect(args.host, args.port, keepalive=30)
    except OSError as e:
        warn("connect to %s:%d: %s" % (args.host, args.port, e))
        return 1
    client.loop_start()
    try:
        if args.once is not None:
            if not subscribed.wait(10):
                warn("not subscribed within 10 s")
                return 1
            time.sleep(args.once)
            print("\n".join(tracker.lines(time.time())), flush=True)
            return 0
        shown = None
        while True:
            now = time.time()
            verdicts = [(n, tracker.why(n, now)) for n in tracker.names()]
            if verdicts != shown:
                print("\n".join(tracker.lines(now)) + "\n", flush=True)
                shown = verdicts
            time.sleep(0.2)
    except KeyboardInterrupt:
        return 0
    finally:
        client.loop_stop()
        client.disconnect()


if __name__ == "__main__":
    sys.exit(main())
