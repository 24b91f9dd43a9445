package main

import (
	"context"
	"errors"
	"io"
)

// cmdTrain is not built yet.
func cmdTrain(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not built yet")
}
