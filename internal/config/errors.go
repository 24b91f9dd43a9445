package config

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a configuration error at a key of the file.
type Error struct {
	File string
	Line int    // 0 when unknown or when the value did not come from the file
	Key  string // dotted path, e.g. sensors[1].period
	From string // where the value came from when not the file, e.g. "--log-level"
	Msg  string
	Err  error // the cause, when another package found the problem
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		if e.From != "" {
			fmt.Fprintf(&b, " (from %s)", e.From)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func bad(key, format string, a ...any) *Error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, a...)}
}

// locate fills in the file, line and origin of a *Error from c's document;
// other errors are returned as they are.
func (c *Config) locate(err error) error {
	var ce *Error
	if !errors.As(err, &ce) {
		return err
	}
	ce.File = c.file
	if from := c.origin[ce.Key]; from != "" {
		ce.From, ce.Line = from, 0
	} else if ce.Line == 0 && c.root != nil {
		ce.Line = lineOf(c.root, ce.Key)
	}
	return err
}

// yamlError turns a yaml.v3 error ("yaml: line 3: field foo not found in
// type config.Sensor") into an *Error that keeps the line and, found in
// root, the key.
func yamlError(root *yaml.Node, err error) *Error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = strings.Join(te.Errors, "\n  ")
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	if i := strings.Index(msg, " in type "); i >= 0 {
		msg = msg[:i]
		msg = strings.Replace(msg, "field ", "unknown key ", 1)
		msg = strings.Replace(msg, " not found", "", 1)
	}
	return &Error{Line: line, Key: keyAtLine(root, line, ""), Msg: msg}
}

// lineOf finds the line of a dotted key such as "sensors[1].period" in a
// parsed document: the key's own line, else that of the nearest enclosing
// key that is present; 0 when none is (a default was used).
func lineOf(doc *yaml.Node, key string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(key, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			fmt.Sscanf(part[i:], "[%d]", &idx)
		}
		next := mappingValue(n, name)
		if next == nil {
			return line
		}
		line = next.Line
		n = next
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

// mappingValue returns the value of key in mapping n; for a key whose value
// is empty or a nested block, the key node itself, whose line is the key's.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
				return &yaml.Node{Kind: v.Kind, Line: n.Content[i].Line, Content: v.Content}
			}
			return v
		}
	}
	return nil
}

// keyAtLine returns the dotted key whose value starts on line, or "".
func keyAtLine(n *yaml.Node, line int, prefix string) string {
	if n == nil || line == 0 {
		return ""
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAtLine(c, line, prefix); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			if n.Content[i+1].Line == line && n.Content[i+1].Kind == yaml.ScalarNode {
				return key
			}
			if k := keyAtLine(n.Content[i+1], line, key); k != "" {
				return k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if k := keyAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i)); k != "" {
				return k
			}
		}
	}
	return ""
}
