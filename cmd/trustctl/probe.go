package main

import (
	"context"
	"errors"
	"io"
)

// cmdProbe is not built yet.
func cmdProbe(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
