package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sensortrust/trustagent/sensors"
)

// helpRequest is returned when a command's -h or --help is given; run prints
// the flag set's usage to stdout and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string        { return "help requested" }
func (h helpRequest) Is(target error) bool { return target == flag.ErrHelp }

// parseArgs parses fs from args, accepting flags before, between and after
// positional arguments (as in "trustctl inspect lidar.bundle --json"). A
// lone "--" ends flag parsing. Afterwards fs.Args() holds the positionals in
// order. Parse errors come back as usage errors, without the usage text: the
// flag package's own printing is silenced so that the error is said once.
func parseArgs(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		rest := args
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return helpRequest{fs}
			}
			return usageError("%v (see 'trustctl %s -h')", err, strings.TrimPrefix(fs.Name(), "trustctl "))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		// flag.Parse consumes a "--" terminator; when it did, everything
		// after it is positional.
		if n := len(rest) - len(args); n > 0 && rest[n-1] == "--" {
			pos = append(pos, args...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	// Parse again to leave exactly the positionals in fs.Args(); flag values
	// already set stay set.
	return fs.Parse(append([]string{"--"}, pos...))
}

// parseFlags parses a command's flags; the command takes no positional
// arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	return nil
}

// defaultModelID is the model id of a bundle trained into out when --id is
// not given: the file's base name, prefixed with the sensor kind unless the
// name already starts with it ("lidar.bundle" is "lidar", not "lidar-lidar";
// "front.bundle" is "lidar-front").
func defaultModelID(kind sensors.Kind, out string) string {
	name := strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
	k := kind.String()
	if name == "" || name == "." {
		return k
	}
	if name == k || strings.HasPrefix(name, k+"-") || strings.HasPrefix(name, k+"_") || strings.HasPrefix(name, k+".") {
		return name
	}
	return fmt.Sprintf("%s-%s", k, name)
}
