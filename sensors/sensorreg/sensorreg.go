package sensorreg

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Sensor is what every sensor entry holds besides its driver's options.
type Sensor struct {
	Name string // configured sensor name (required)
	// Period is the nominal frame period from the configuration; 0 leaves
	// the driver's default.
	Period time.Duration
	// Start is the instant the configuration is built: the simulated
	// sensors and fault scenarios of one configuration all start from it.
	Start time.Time
}

// Driver describes one driver; make it with New.
type Driver struct {
	name     string
	keys     []string // yaml keys of the options, sorted
	defaults func() any
	build    func(Sensor, any) (sensors.Source, error)
}

// New describes the driver name. Its options are an O, decoded from the
// sensor entry's keys by O's yaml tags on top of defaults(). build validates
// the options and returns the source without opening the device; an error
// about one option should be a *KeyError (see Keyf).
func New[O any](name string, defaults func() O, build func(Sensor, O) (sensors.Source, error)) Driver {
	if defaults == nil || build == nil {
		return Driver{name: name}
	}
	return Driver{
		name:     name,
		keys:     yamlKeys(reflect.TypeFor[O]()),
		defaults: func() any { o := defaults(); return &o },
		build: func(s Sensor, opts any) (sensors.Source, error) {
			o, ok := opts.(*O)
			if !ok || o == nil {
				return nil, fmt.Errorf("sensorreg: driver %s: options are %T, want %T", name, opts, o)
			}
			return build(s, *o)
		},
	}
}

// Name is the value of the driver key that selects this driver.
func (d Driver) Name() string { return d.name }

// Keys are the option keys the driver takes, sorted.
func (d Driver) Keys() []string { return slices.Clone(d.keys) }

// Options returns a fresh options value holding the driver's defaults: a
// pointer to its options struct, for Decode and Build.
func (d Driver) Options() any { return d.defaults() }

// Build validates opts (from Options or Decode) and returns the source of
// sensor s. No device is opened.
func (d Driver) Build(s Sensor, opts any) (sensors.Source, error) {
	if d.build == nil {
		return nil, errors.New("sensorreg: zero Driver")
	}
	if s.Name == "" {
		return nil, fmt.Errorf("sensorreg: driver %s: sensor has no name", d.name)
	}
	return d.build(s, opts)
}

// Registry is a set of drivers by name. It is not modified after
// NewRegistry and is safe for concurrent use.
type Registry struct {
	drivers map[string]Driver
}

// NewRegistry returns the registry of ds; names must be unique and set.
func NewRegistry(ds ...Driver) (*Registry, error) {
	r := &Registry{drivers: make(map[string]Driver, len(ds))}
	for _, d := range ds {
		if d.name == "" || d.build == nil {
			return nil, errors.New("sensorreg: driver without a name or constructor")
		}
		if _, dup := r.drivers[d.name]; dup {
			return nil, fmt.Errorf("sensorreg: driver %q registered twice", d.name)
		}
		r.drivers[d.name] = d
	}
	return r, nil
}

// Driver returns the driver called name.
func (r *Registry) Driver(name string) (Driver, bool) {
	d, ok := r.drivers[name]
	return d, ok
}

// Names lists the registered driver names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.drivers))
	for n := range r.drivers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Using lists the drivers that take option key, sorted.
func (r *Registry) Using(key string) []string {
	var names []string
	for n, d := range r.drivers {
		if slices.Contains(d.keys, key) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// KeyError is an error about one option of a driver.
type KeyError struct {
	Key string // the option's yaml key
	Err error
}

func (e *KeyError) Error() string { return "sensorreg: option " + e.Key + ": " + e.Err.Error() }

func (e *KeyError) Unwrap() error { return e.Err }

// Keyf returns a *KeyError about key.
func Keyf(key, format string, a ...any) error {
	return &KeyError{Key: key, Err: fmt.Errorf(format, a...)}
}

// Key returns err as a *KeyError about key; nil stays nil.
func Key(key string, err error) error {
	if err == nil {
		return nil
	}
	return &KeyError{Key: key, Err: err}
}

// ErrUnknownKey is the Err of the *KeyError Decode returns for a key the
// driver does not take.
var ErrUnknownKey = errors.New("unknown key")

// ParseI2CAddr parses a 7-bit I²C address option such as "0x10" or "16";
// empty gives def.
func ParseI2CAddr(s string, def uint16) (uint16, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil || v > 0x7f {
		return 0, fmt.Errorf("sensorreg: %q is not a 7-bit I²C address like 0x10", s)
	}
	return uint16(v), nil
}
