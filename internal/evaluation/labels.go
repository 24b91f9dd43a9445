package evaluation

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sensortrust/trustagent/internal/training"
)

// LabelsFile is the ground-truth file that trustctl sim and inject write
// beside the frames.
const LabelsFile = "labels.csv"

// Label is the ground truth of one frame.
type Label struct {
	Fault    string // "none" when clean
	Severity int    // 0 (clean or unknown) to 3
	Altered  bool   // the fault changed this frame
}

// Labels are the rows of a labels file, keyed by the base name of the
// frame file's directory ("" for frames beside the file) and the frame's
// file name.
type Labels map[string]map[string]Label

// ReadLabels reads a labels file (columns sensor, frame, file, stamp,
// fault, severity, altered; file, fault and severity are required).
func ReadLabels(path string) (Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evaluation: labels: %w", err)
	}
	defer f.Close()
	m, err := parseLabels(f)
	if err != nil {
		return nil, fmt.Errorf("evaluation: labels %s: %w", path, err)
	}
	return m, nil
}

// parseLabels parses labels file text.
func parseLabels(r io.Reader) (Labels, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"file", "fault", "severity"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("no %q column (want the labels.csv of trustctl sim or inject)", need)
		}
	}
	out := Labels{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		sev, err := strconv.Atoi(rec[col["severity"]])
		if err != nil || sev < 0 || sev > 3 {
			return nil, fmt.Errorf("line %d: severity %q", line, rec[col["severity"]])
		}
		l := Label{Fault: rec[col["fault"]], Severity: sev, Altered: rec[col["fault"]] != "none"}
		if i, ok := col["altered"]; ok {
			l.Altered = rec[i] == "true"
		}
		file := filepath.ToSlash(rec[col["file"]])
		dir := filepath.Base(filepath.Dir(file))
		if filepath.Dir(file) == "." {
			dir = ""
		}
		if out[dir] == nil {
			out[dir] = map[string]Label{}
		}
		out[dir][filepath.Base(file)] = l
	}
	return out, nil
}

// sevSuffix splits a directory name such as fog_s2 or fog-sev2 into fault
// and severity.
var sevSuffix = regexp.MustCompile(`^(.*?)[-_]s(?:ev(?:erity)?)?([123])$`)

// LabelsFor returns the labels of the frames of a faulted recording: from
// shared (the rows of the directory's base name, else those without a
// directory) when not nil, else from the LabelsFile in the recording's
// directory, else every frame is altered by the fault the directory is
// named after (fog_s2: fog at severity 2).
func LabelsFor(r training.Recording, shared Labels) ([]Label, error) {
	var m map[string]Label
	if shared != nil {
		m = shared[filepath.Base(r.Dir)]
		if m == nil {
			m = shared[""]
		}
	}
	if m == nil {
		p := filepath.Join(r.Dir, LabelsFile)
		if _, err := os.Stat(p); err == nil {
			all, err := ReadLabels(p)
			if err != nil {
				return nil, err
			}
			m = all[""]
		}
	}
	out := make([]Label, len(r.Names))
	if m == nil {
		name, sev := filepath.Base(r.Dir), 0
		if g := sevSuffix.FindStringSubmatch(name); g != nil {
			name = g[1]
			sev, _ = strconv.Atoi(g[2])
		}
		for i := range out {
			out[i] = Label{Fault: name, Severity: sev, Altered: true}
		}
		return out, nil
	}
	for i, n := range r.Names {
		l, ok := m[n]
		if !ok {
			return nil, fmt.Errorf("evaluation: labels: no row for %s in %s", n, r.Dir)
		}
		out[i] = l
	}
	return out, nil
}
