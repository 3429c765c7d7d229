// Command sample is probelab's service under test: one static binary that
// plays every workload the scenarios need (slow or failing startup, CPU and
// memory load, errors, crashes, leaks, config reloads, graceful or abrupt
// shutdown), steered by environment variables and query parameters.
// README.md documents every endpoint and variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr)
	os.Exit(exitStatus(err, os.Stderr))
}

// exitError is returned by run when the process must exit with a given
// code: /exit?code=N, or SAMPLE_EXIT_CODE after a shutdown.
type exitError struct {
	Code   int
	Reason string
}

func (e *exitError) Error() string { return fmt.Sprintf("%s (exit code %d)", e.Reason, e.Code) }

// exitStatus maps run's result to a process exit code: 0 for nil, the code
// of an exitError, 1 for any other error. Errors are printed to stderr.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		fmt.Fprintf(stderr, "sample: %v\n", exit)
		return exit.Code
	}
	fmt.Fprintf(stderr, "sample: %v\n", err)
	return 1
}
