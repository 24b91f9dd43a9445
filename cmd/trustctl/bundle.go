package main

import (
	"context"
	"errors"
	"io"
)

// cmdBundle is not built yet.
func cmdBundle(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
