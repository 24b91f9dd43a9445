package main

import (
	"context"
	"errors"
	"io"
)

// cmdSim is not built yet.
func cmdSim(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
