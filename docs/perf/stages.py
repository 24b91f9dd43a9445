#!/usr/bin/env python3
"""Per-frame inclusive instruction counts of the judge's stages.

usage: stages.py CALLGRIND_OUT

Reads a callgrind output file of an agent benchmark (BenchmarkJudge*) and
prints, for each stage of Judge.Frame, the instructions of its functions
(inclusive of what they call) per judged frame: the sum over all calls
divided by the number of Judge.Frame calls. Functions the compiler inlined
are counted in their caller.

Run the benchmark with GOGC=off: a collection during the run switches
goroutines under callgrind, which then takes later calls of Judge.Frame for
recursive ones (named "Judge).Frame'2") and counts their cost twice; the
script refuses such a file."""
import re, sys
STAGES = [
    ("judged frame (Judge.Frame)", ["agent.(*Judge).Frame"]),
    ("frozen-frame hash", ["agent.(*frameHash).repeats"]),
    ("torn-frame check (row hashes)", ["integrity.(*RowReplay).Check"]),
    ("ring geometry check", ["integrity.(*RingGeometry).Check"]),
    ("surface hole check", ["integrity.(*SurfaceHoles).Check"]),
    ("dark ring check", ["integrity.(*DarkRings).Check"]),
    ("block means (lens dirt, veil)", ["integrity.(*BlockMeans).Of"]),
    ("lens dirt check", ["integrity.(*LensDirt).Check"]),
    ("veil check", ["integrity.(*Veil).Check"]),
    ("window / timing features", ["health.(*Window).Add", "health.(*Window).Features", "health.(*Window).Stats"]),
    ("LiDAR/camera statistics", ["features.(*LidarExtractor).Next", "features.(*CameraExtractor).Next"]),
    ("representation encoder", ["likelihood.(*encoder).rawWith"]),
    ("standardise + quantise", ["likelihood.(*Repr).standardize", "likelihood.quantizeInput"]),
    ("integer re-fit", ["likelihood.(*fixedEngine).score"]),
    ("health autoencoder", ["health.(*Evaluator).Evaluate"]),
    ("decision", ["decision.(*Decider).Frame"]),
]
incl, calls, names = {}, {}, {}
fn = cfn = None
pending = False
for line in open(sys.argv[1]):
    m = re.match(r'^(c?fn)=\((\d+)\)(?: (.*))?', line)
    if m:
        kind, i, name = m.groups()
        if name: names[i] = name.strip()
        if kind == 'fn': fn = i
        else: cfn = i
        continue
    m = re.match(r'^calls=(\d+)', line)
    if m:
        calls[cfn] = calls.get(cfn, 0) + int(m.group(1)); pending = True; continue
    if pending:
        pending = False
        parts = line.split()
        if len(parts) >= 2: incl[cfn] = incl.get(cfn, 0) + int(parts[1])
def tot(suffix):
    ir = n = 0
    for i, nm in names.items():
        if nm.endswith(suffix) and i in incl:
            ir += incl[i]; n = max(n, calls.get(i, 0))
    return ir
if any("(*Judge).Frame'" in nm for nm in names.values()):
    sys.exit("stages.py: Judge.Frame appears as recursive (run the benchmark with GOGC=off)")
frames = max(c for i, c in calls.items() if names.get(i, '').endswith("agent.(*Judge).Frame"))
rows = [(label, sum(tot(s) for s in sufs) / frames) for label, sufs in STAGES]
total = rows[0][1]
for label, v in rows:
    print(f"{label:32s} {v/1e3:10.0f} k  {100*v/total:5.1f} %")
rest = total - sum(v for _, v in rows[1:])
print(f"{'rest (reasons, snapshot)':32s} {max(rest, 0)/1e3:10.0f} k")
print(f"frames: {frames}")
