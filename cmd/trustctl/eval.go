package main

import (
	"context"
	"errors"
	"io"
)

// cmdEval is not built yet.
func cmdEval(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
