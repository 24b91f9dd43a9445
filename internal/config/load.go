package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// Load reads and validates a configuration file; reg has the drivers its
// sensors may use.
func Load(path string, reg *sensorreg.Registry) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, reg)
}

// file is the document as decoded: the configuration, and the sensor
// entries left as nodes for their drivers to decode.
type file struct {
	Config  `yaml:",inline"`
	Sensors []yaml.Node `yaml:"sensors"`
}

// Parse decodes and validates configuration bytes without any I/O; name is
// used in errors, reg has the drivers the sensors may use. Check does what
// needs the file system.
func Parse(name string, data []byte, reg *sensorreg.Registry) (Config, error) {
	if reg == nil {
		return Config{}, errors.New("config: no driver registry")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		ye := yamlError(&root, err)
		ye.File = name
		return Config{}, ye
	}
	f := file{Config: Default()}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, &Error{File: name, Msg: "file is empty"}
		}
		ye := yamlError(&root, err)
		ye.File = name
		return Config{}, ye
	}
	cfg := f.Config
	cfg.file, cfg.root, cfg.reg = name, &root, reg
	for i := range f.Sensors {
		s, err := decodeSensor(reg, &root, fmt.Sprintf("sensors[%d]", i), &f.Sensors[i])
		if err != nil {
			return Config{}, cfg.locate(err)
		}
		cfg.Sensors = append(cfg.Sensors, s)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// commonKeys are the keys of every sensor entry; the others are its
// driver's.
var commonKeys = []string{"name", "driver", "bundle", "period", "cone_check", "tear_check", "hole_check", "ring_check", "dirt_check", "veil_check"}

// decodeSensor decodes one entry of sensors: the common keys, then the
// other keys into its driver's options.
func decodeSensor(reg *sensorreg.Registry, root *yaml.Node, key string, n *yaml.Node) (Sensor, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return Sensor{}, bad(key, "want a mapping of keys (name, driver, ...)")
	}
	common := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	pairs := mergedPairs(n, 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		dst := rest
		if slices.Contains(commonKeys, pairs[i].Value) {
			dst = common
		}
		dst.Content = append(dst.Content, pairs[i], pairs[i+1])
	}
	var s Sensor
	if err := common.Decode(&s); err != nil {
		return Sensor{}, yamlError(root, err)
	}
	if s.Driver == "" {
		return Sensor{}, bad(key+".driver", "must be set, to one of %s", strings.Join(reg.Names(), ", "))
	}
	d, ok := reg.Driver(s.Driver)
	if !ok {
		return Sensor{}, bad(key+".driver", "%q is not one of %s", s.Driver, strings.Join(reg.Names(), ", "))
	}
	rest.Content = dropEmptyForeign(rest.Content, reg, d.Keys())
	opts, err := d.Decode(rest)
	var ke *sensorreg.KeyError
	switch {
	case err == nil:
	case errors.As(err, &ke) && errors.Is(err, sensorreg.ErrUnknownKey):
		if users := reg.Using(ke.Key); len(users) > 0 {
			return Sensor{}, bad(key+"."+ke.Key, "driver %s does not use %s (%s do)", s.Driver, ke.Key, strings.Join(users, ", "))
		}
		return Sensor{}, bad(key+"."+ke.Key, "unknown key %s (driver %s takes %s)", ke.Key, s.Driver, keyList(d.Keys()))
	default:
		return Sensor{}, yamlError(root, err)
	}
	s.Options = opts
	return s, nil
}

func keyList(keys []string) string {
	keys = append(slices.Clone(commonKeys), keys...)
	return strings.Join(keys, ", ")
}

// mergedPairs returns the key and value nodes of mapping n with YAML merge
// keys ("<<: *base") resolved; a key set in n itself wins over a merged
// one, as when yaml.v3 decodes a struct.
func mergedPairs(n *yaml.Node, depth int) []*yaml.Node {
	var own, merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag != "!!merge" || depth > 8 {
			own = append(own, k, v)
			continue
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			if src.Kind == yaml.AliasNode && src.Alias != nil {
				src = src.Alias
			}
			if src.Kind == yaml.MappingNode {
				merged = append(merged, mergedPairs(src, depth+1)...)
			}
		}
	}
	out := own
	for i := 0; i+1 < len(merged); i += 2 {
		if !hasKey(out, merged[i].Value) {
			out = append(out, merged[i], merged[i+1])
		}
	}
	return out
}

func hasKey(pairs []*yaml.Node, key string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i].Value == key {
			return true
		}
	}
	return false
}

// dropEmptyForeign drops the keys of other drivers left empty ("", 0,
// false, null): files written when every entry could carry every key, empty
// when unused, still load. A foreign key with a value stays, to be refused.
func dropEmptyForeign(pairs []*yaml.Node, reg *sensorreg.Registry, own []string) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(pairs); i += 2 {
		k, v := pairs[i], pairs[i+1]
		foreign := !slices.Contains(own, k.Value) && len(reg.Using(k.Value)) > 0
		empty := v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "" || v.Value == "0" || v.Value == "false")
		if foreign && empty {
			continue
		}
		out = append(out, k, v)
	}
	return out
}
