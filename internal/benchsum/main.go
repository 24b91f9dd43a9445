package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
)

// result is one benchmark line of `go test -bench` output.
type result struct {
	pkg, name string
	metrics   []metric // in output order: ns/op, B/op, allocs/op, custom units
}

type metric struct{ value, unit string }

// parse reads `go test -bench` output and returns the benchmark lines with
// the package each belongs to.
func parse(r io.Reader) []result {
	var out []result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/sensortrust/trustagent/")
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		r := result{pkg: pkg, name: f[0]}
		for i := 2; i+1 < len(f); i += 2 {
			r.metrics = append(r.metrics, metric{f[i], f[i+1]})
		}
		out = append(out, r)
	}
	return out
}

func table(w io.Writer, rs []result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tbenchmark\tns/op\tB/op\tallocs/op\tother")
	for _, r := range rs {
		cols := map[string]string{}
		var other []string
		for _, m := range r.metrics {
			switch m.unit {
			case "ns/op", "B/op", "allocs/op":
				cols[m.unit] = m.value
			default:
				other = append(other, m.value+" "+m.unit)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.pkg, r.name, cols["ns/op"], cols["B/op"], cols["allocs/op"], strings.Join(other, ", "))
	}
	tw.Flush()
}

// run is one `go test -bench` invocation.
type run struct {
	bench, skip, benchtime string
	pkgs                   []string
}

func main() {
	benchtime := flag.String("benchtime", "200ms", "go test -benchtime for the micro-benchmarks")
	bench := flag.String("bench", ".", "go test -bench")
	daemon := flag.Bool("daemon", true, "also run the daemon load benchmark (about 30 s)")
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	runs := []run{{bench: *bench, skip: "DaemonLoad", benchtime: *benchtime, pkgs: pkgs}}
	if *daemon {
		runs = append(runs, run{bench: "DaemonLoad", benchtime: "1x", pkgs: []string{"./cmd/trustd"}})
	}
	var buf bytes.Buffer
	failed := false
	for _, r := range runs {
		args := append([]string{"test", "-run", "^$", "-bench", r.bench, "-benchmem", "-benchtime", r.benchtime, "-count", "1"}, r.pkgs...)
		if r.skip != "" {
			args = append(args[:1], append([]string{"-skip", r.skip}, args[1:]...)...)
		}
		cmd := exec.Command("go", args...)
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "benchsum: go %s: %v\n", strings.Join(args, " "), err)
			failed = true
		}
	}
	fmt.Println()
	table(os.Stdout, parse(&buf))
	if failed {
		os.Exit(1)
	}
}
