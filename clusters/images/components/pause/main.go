// Command pause is the sandbox ("infra") container of every pod: it holds the pod's
// namespaces open, reaps zombies re-parented to it, and exits 0 on SIGINT or SIGTERM.
// It is our own equivalent of Kubernetes' build/pause program, built static (CGO_ENABLED=0)
// so the image can be FROM scratch.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// pauseVersion is stamped at link time: -ldflags "-X main.pauseVersion=<PAUSE_VERSION>".
// It is the only package-level variable, because -X can set nothing else.
var pauseVersion = "unset"

func main() {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	err := run(context.Background(), os.Args[1:], signals, os.Getpid(), os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pause:", err)
		os.Exit(1)
	}
}

// run blocks until ctx ends or SIGINT/SIGTERM arrives on signals, reaping every exited
// child whenever SIGCHLD arrives. It returns nil on a termination signal (kubelet expects
// the sandbox to exit 0) and an error only for bad arguments.
func run(ctx context.Context, args []string, signals <-chan os.Signal, pid int, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "-v":
		fmt.Fprintf(stdout, "pause.go version %s (probelab)\n", pauseVersion)
		return nil
	case len(args) > 0:
		return fmt.Errorf("unknown arguments %q: the only flag is -v (print the version and exit)", args)
	}
	if pid != 1 {
		fmt.Fprintln(stderr, "Warning: pause should be the first process (PID 1), so orphans get re-parented to it and reaped")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig := <-signals:
			if sig == syscall.SIGCHLD {
				reapExitedChildren()
				continue
			}
			fmt.Fprintf(stdout, "Shutting down, got signal: %s\n", sig)
			return nil
		}
	}
}

// reapExitedChildren collects every child that has exited, without blocking: one SIGCHLD
// may stand for several exits, because pending signals of one kind coalesce.
func reapExitedChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
