package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Schema is a parsed schema document.
type Schema struct {
	root map[string]any
}

var known = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "$comment": true, "examples": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true, "items": true,
	"enum": true, "const": true, "minimum": true, "maximum": true, "minLength": true, "maxLength": true,
	"pattern": true, "format": true, "$defs": true, "$ref": true,
}

// Parse reads a schema and checks that it uses only supported keywords.
func Parse(b []byte) (*Schema, error) {
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("jsonschema: %w", err)
	}
	if err := checkKeywords(root, "#"); err != nil {
		return nil, err
	}
	return &Schema{root: root}, nil
}

func checkKeywords(s map[string]any, at string) error {
	for k, v := range s {
		if !known[k] {
			return fmt.Errorf("jsonschema: %s: keyword %q not supported", at, k)
		}
		switch k {
		case "properties", "$defs":
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("jsonschema: %s/%s: want an object", at, k)
			}
			for name, sub := range m {
				sm, ok := sub.(map[string]any)
				if !ok {
					return fmt.Errorf("jsonschema: %s/%s/%s: want a schema object", at, k, name)
				}
				if err := checkKeywords(sm, at+"/"+k+"/"+name); err != nil {
					return err
				}
			}
		case "items":
			sm, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("jsonschema: %s/items: want a schema object", at)
			}
			if err := checkKeywords(sm, at+"/items"); err != nil {
				return err
			}
		case "additionalProperties":
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("jsonschema: %s: only boolean additionalProperties supported", at)
			}
		}
	}
	return nil
}

// Validate checks a JSON document against the schema and returns every
// violation found, each with its JSON pointer.
func (s *Schema) Validate(doc []byte) []error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []error{fmt.Errorf("not JSON: %w", err)}
	}
	var errs []error
	s.validate(s.root, v, "", &errs, 0)
	return errs
}

func (s *Schema) resolve(ref string) (map[string]any, error) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only #/$defs/... supported", ref)
	}
	defs, _ := s.root["$defs"].(map[string]any)
	d, ok := defs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q: not defined", ref)
	}
	return d, nil
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := x.Int64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func (s *Schema) validate(sch map[string]any, v any, at string, errs *[]error, depth int) {
	fail := func(format string, a ...any) {
		*errs = append(*errs, fmt.Errorf("%s: "+format, append([]any{ptr(at)}, a...)...))
	}
	if depth > 32 {
		fail("schema nesting too deep")
		return
	}
	if ref, ok := sch["$ref"].(string); ok {
		d, err := s.resolve(ref)
		if err != nil {
			fail("%v", err)
			return
		}
		s.validate(d, v, at, errs, depth+1)
	}
	if t, ok := sch["type"]; ok {
		var want []string
		switch x := t.(type) {
		case string:
			want = []string{x}
		case []any:
			for _, e := range x {
				if es, ok := e.(string); ok {
					want = append(want, es)
				}
			}
		}
		got := typeOf(v)
		if !slices.Contains(want, got) && !(got == "integer" && slices.Contains(want, "number")) {
			fail("type %s, want %s", got, strings.Join(want, " or "))
			return
		}
	}
	if c, ok := sch["const"]; ok && !equal(c, v) {
		fail("value %v, want %v", v, c)
	}
	if e, ok := sch["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return equal(x, v) }) {
		fail("value %v not in %v", v, e)
	}
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		if m, ok := sch["minimum"].(float64); ok && f < m {
			fail("%v < minimum %v", f, m)
		}
		if m, ok := sch["maximum"].(float64); ok && f > m {
			fail("%v > maximum %v", f, m)
		}
	case string:
		n := len([]rune(x))
		if m, ok := sch["minLength"].(float64); ok && float64(n) < m {
			fail("length %d < %v", n, m)
		}
		if m, ok := sch["maxLength"].(float64); ok && float64(n) > m {
			fail("length %d > %v", n, m)
		}
		if p, ok := sch["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				fail("bad pattern %q: %v", p, err)
			} else if !re.MatchString(x) {
				fail("%q does not match %s", x, p)
			}
		}
		if f, ok := sch["format"].(string); ok && f == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				fail("not an RFC 3339 date-time: %v", err)
			}
		}
	case []any:
		if items, ok := sch["items"].(map[string]any); ok {
			for i, e := range x {
				s.validate(items, e, fmt.Sprintf("%s/%d", at, i), errs, depth+1)
			}
		}
	case map[string]any:
		props, _ := sch["properties"].(map[string]any)
		if req, ok := sch["required"].([]any); ok {
			for _, r := range req {
				if name, _ := r.(string); name != "" {
					if _, present := x[name]; !present {
						fail("missing required property %q", name)
					}
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				s.validate(ps, x[k], at+"/"+k, errs, depth+1)
			} else if ap, ok := sch["additionalProperties"].(bool); ok && !ap {
				fail("property %q not allowed", k)
			}
		}
	}
}

func equal(a, b any) bool {
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	if n, ok := b.(json.Number); ok {
		bb = []byte(n.String())
		if f, err := n.Float64(); err == nil {
			bb, _ = json.Marshal(f)
		}
	}
	return bytes.Equal(ab, bb)
}

func ptr(at string) string {
	if at == "" {
		return "/"
	}
	return at
}

// ValidateRef checks a document against a definition of the schema,
// e.g. "#/$defs/recalibrate".
func (s *Schema) ValidateRef(ref string, doc []byte) []error {
	sub := &Schema{root: map[string]any{"$ref": ref, "$defs": s.root["$defs"]}}
	return sub.Validate(doc)
}
