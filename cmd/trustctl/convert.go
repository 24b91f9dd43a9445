package main

import (
	"context"
	"errors"
	"io"
)

// cmdConvert is not built yet.
func cmdConvert(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
