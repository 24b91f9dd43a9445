package sensorreg

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode decodes n, a mapping of the driver's option keys, over a fresh
// Options value. A key the driver does not take is a *KeyError wrapping
// ErrUnknownKey; a value of the wrong type is a yaml.v3 *yaml.TypeError,
// whose messages carry the line. A nil n gives the defaults.
func (d Driver) Decode(n *yaml.Node) (any, error) {
	opts := d.Options()
	if n == nil {
		return opts, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("sensorreg: driver %s: options are not a mapping", d.name)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !slices.Contains(d.keys, k) {
			return nil, &KeyError{Key: k, Err: ErrUnknownKey}
		}
	}
	if err := n.Decode(opts); err != nil {
		return nil, fmt.Errorf("sensorreg: driver %s: %w", d.name, err)
	}
	return opts, nil
}

// yamlKeys lists the keys yaml.v3 decodes into a struct type: the tag name,
// else the lower-cased field name; inline structs contribute their keys.
func yamlKeys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, flags, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(flags, ","), "inline") {
			keys = append(keys, yamlKeys(f.Type)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		keys = append(keys, name)
	}
	slices.Sort(keys)
	return keys
}
