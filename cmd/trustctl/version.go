package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/sensortrust/trustagent/internal/version"
)

func cmdVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "trustctl %s %s/%s\n", version.String(), runtime.GOOS, runtime.GOARCH)
	return nil
}
