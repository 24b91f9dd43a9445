package main

import (
	"context"
	"errors"
	"io"
)

// cmdScore is not built yet.
func cmdScore(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
