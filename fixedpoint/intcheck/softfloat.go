package intcheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// softFloatRoutine matches the runtime routines the compiler calls for float
// arithmetic, comparisons and conversions under GOARM=5
// (runtime/softfloat64.go and runtime/vlrt.go).
var softFloatRoutine = regexp.MustCompile(`^runtime\.(f(add|sub|mul|div|neg|cmp|eq|gt|ge)(32|64)|f(32|64|int|int32|int64|uint32|uint64)to(32|64|int|int32|int64|uint32|uint64)|f(un)?pack(32|64)|_d2v|u?int64tofloat(32|64)|float64tou?int64)$`)

// callTarget matches a direct call or tail jump in `go tool objdump` output.
var callTarget = regexp.MustCompile(`\s(?:BL|B|CALL|JMP)\s+([^\s]+)\(SB\)`)

// SoftFloatConfig says what SoftFloat builds and where it starts.
type SoftFloatConfig struct {
	// Dir is a directory inside the module of the code under test; the probe
	// is built as if it were a package main in a new subdirectory of Dir
	// (through -overlay: nothing is written to Dir).
	Dir string
	// Probe is the source of the package main that calls the code under test
	// (so that the linker keeps it); it should take its inputs from os.Args
	// or similar so that nothing is constant-folded away.
	Probe []byte
	// Roots matches the symbols to start from, for example
	// `^example.com/m/fixedpoint\.`.
	Roots *regexp.Regexp
}

// SoftFloatCall is one soft-float routine reachable from a root, with the
// call chain that reaches it.
type SoftFloatCall struct {
	Routine string
	Path    []string // root first
}

// SoftFloatReport is the outcome of SoftFloat.
type SoftFloatReport struct {
	Roots  []string // root symbols present in the binary (inlined ones are not)
	Walked int      // functions disassembled
	Calls  []SoftFloatCall
}

// SoftFloat builds c.Probe for linux/arm with GOARM=5, disassembles it and
// follows direct calls from every symbol matching c.Roots, without entering
// package runtime (or internal/...), collecting soft-float routine calls.
// A report with no Calls means no float operation is reachable from the
// roots through Go code outside the runtime.
func SoftFloat(ctx context.Context, c SoftFloatConfig) (*SoftFloatReport, error) {
	if c.Dir == "" || len(c.Probe) == 0 || c.Roots == nil {
		return nil, errors.New("intcheck: SoftFloatConfig needs Dir, Probe and Roots")
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("intcheck: %w", err)
	}
	tmp, err := os.MkdirTemp("", "intcheck-softfloat-")
	if err != nil {
		return nil, fmt.Errorf("intcheck: %w", err)
	}
	defer os.RemoveAll(tmp)
	probeSrc := filepath.Join(tmp, "main.go")
	if err := os.WriteFile(probeSrc, c.Probe, 0o644); err != nil {
		return nil, fmt.Errorf("intcheck: %w", err)
	}
	const probeDir = "intcheck_softfloat_probe"
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(dir, probeDir, "main.go"): probeSrc},
	})
	if err != nil {
		return nil, fmt.Errorf("intcheck: %w", err)
	}
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		return nil, fmt.Errorf("intcheck: %w", err)
	}
	bin := filepath.Join(tmp, "probe")
	build := exec.CommandContext(ctx, "go", "build", "-overlay", overlayFile, "-o", bin, "./"+probeDir)
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm", "GOARM=5", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("intcheck: building the GOARM=5 probe: %w: %s", err, bytes.TrimSpace(out))
	}

	calls := map[string][]string{} // symbol → direct callees
	disasm := func(re string) error {
		cmd := exec.CommandContext(ctx, "go", "tool", "objdump", "-s", re, bin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("intcheck: go tool objdump: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		var cur string
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "TEXT "); ok {
				cur, _, _ = strings.Cut(rest, "(SB)")
				calls[cur] = calls[cur][:0:0]
				continue
			}
			if m := callTarget.FindStringSubmatch(line); m != nil && cur != "" {
				calls[cur] = append(calls[cur], m[1])
			}
		}
		return sc.Err()
	}
	if err := disasm(c.Roots.String()); err != nil {
		return nil, err
	}
	rep := &SoftFloatReport{}
	for s := range calls {
		if c.Roots.MatchString(s) {
			rep.Roots = append(rep.Roots, s)
		}
	}
	sort.Strings(rep.Roots)
	if len(rep.Roots) == 0 {
		return nil, fmt.Errorf("intcheck: no symbol in the probe matches %s", c.Roots)
	}

	// Breadth-first over direct calls, keeping the first path to each symbol.
	parent := map[string]string{}
	visited := map[string]bool{}
	frontier := append([]string(nil), rep.Roots...)
	for _, r := range rep.Roots {
		visited[r] = true
	}
	found := map[string]bool{}
	for len(frontier) > 0 {
		var missing []string
		for _, s := range frontier {
			if _, ok := calls[s]; !ok {
				missing = append(missing, "^"+regexp.QuoteMeta(s)+"$")
			}
		}
		if len(missing) > 0 {
			if err := disasm(strings.Join(missing, "|")); err != nil {
				return nil, err
			}
		}
		var next []string
		for _, s := range frontier {
			rep.Walked++
			for _, callee := range calls[s] {
				switch {
				case softFloatRoutine.MatchString(callee):
					if !found[s+" "+callee] {
						found[s+" "+callee] = true
						path := []string{callee}
						for p := s; p != ""; p = parent[p] {
							path = append([]string{p}, path...)
						}
						rep.Calls = append(rep.Calls, SoftFloatCall{Routine: callee, Path: path})
					}
				case visited[callee], isRuntime(callee):
				default:
					visited[callee] = true
					parent[callee] = s
					next = append(next, callee)
				}
			}
		}
		frontier = next
	}
	return rep, nil
}

// isRuntime reports whether sym belongs to the runtime or its internal
// packages, which the walk does not enter.
func isRuntime(sym string) bool {
	return strings.HasPrefix(sym, "runtime.") || strings.HasPrefix(sym, "internal/") ||
		strings.HasPrefix(sym, "sync/atomic.") || strings.HasPrefix(sym, "type:") || strings.HasPrefix(sym, "go:")
}
