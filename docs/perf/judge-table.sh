#!/bin/sh
# Prints the markdown table of docs/performance.md "Cost by sensor size":
# time per judged frame (go test -bench, on this machine) and amd64
# instructions per judged frame (callgrind, Judge.Frame inclusive / calls)
# with the shares of the statistics, the encoder, the re-fit, the frame
# hashes (frozen and torn-frame checks) and the other integrity checks (the
# LiDAR's cone, surface hole and dark ring checks, the camera's block
# means and its lens dirt and veil checks), for each size in BenchmarkJudgeCameraSize and
# BenchmarkJudgeLidarRings. Run from the repository root; needs valgrind
# and python3; takes about ten minutes.
set -e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/agent.test" ./agent/
cd agent
"$tmp/agent.test" -test.run XXX -test.bench 'JudgeCameraSize|JudgeLidarRings' -test.benchtime 200x -test.count 3 >"$tmp/bench.txt"
echo "| frame | ns/op (median of 3) | instructions / frame (amd64) | of which statistics | encoder | integer re-fit | hashes | other checks |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for b in JudgeCameraSize/320x240 JudgeCameraSize/640x480 JudgeCameraSize/1280x720 \
	JudgeLidarRings/16 JudgeLidarRings/32 JudgeLidarRings/128; do
	ns=$(grep "^Benchmark$b-" "$tmp/bench.txt" | awk '{print $3}' | sort -n | sed -n 2p)
	GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/cg.out" "$tmp/agent.test" -test.run XXX -test.bench "$b\$" -test.benchtime 50x >/dev/null 2>&1
	python3 ../docs/perf/stages.py "$tmp/cg.out" | awk -v b="$b" -v ns="$ns" '
		/^judged frame/ {t=$(NF-3)} /^LiDAR\/camera statistics/ {s=$(NF-3)}
		/^representation encoder/ {e=$(NF-3)} /^integer re-fit/ {r=$(NF-3)}
		/^frozen-frame hash/ || /^torn-frame check/ {h+=$(NF-3)} /^ring geometry check/ || /^surface hole check/ || /^dark ring check/ || /^block means/ || /^lens dirt check/ || /^veil check/ {c+=$(NF-3)}
		END {printf "| %s | %s | %s k | %s k | %s k | %s k | %s k | %s k |\n", b, ns, t, s, e, r, h, c}'
done
