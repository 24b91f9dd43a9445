package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/sensortrust/trustagent/sensors/velodyne
BenchmarkDecode-2   	  200000	      5123 ns/op	  74.9 Mpoints/s	       0 B/op	       0 allocs/op
PASS
pkg: github.com/sensortrust/trustagent/fixedpoint
BenchmarkDense/int16-2 	 1000000	      1021 ns/op
`

func TestParseAndTable(t *testing.T) {
	rs := parse(strings.NewReader(sample))
	if len(rs) != 2 {
		t.Fatalf("parsed %d results, want 2: %+v", len(rs), rs)
	}
	if rs[0].pkg != "sensors/velodyne" || rs[0].name != "BenchmarkDecode-2" || len(rs[0].metrics) != 4 {
		t.Errorf("first result %+v", rs[0])
	}
	var b bytes.Buffer
	table(&b, rs)
	out := b.String()
	for _, want := range []string{"74.9 Mpoints/s", "fixedpoint", "1021"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
