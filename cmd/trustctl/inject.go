package main

import (
	"context"
	"errors"
	"io"
)

// cmdInject is not built yet.
func cmdInject(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
