package main

import (
	"context"
	"errors"
	"io"
)

// cmdInspect is not built yet.
func cmdInspect(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
