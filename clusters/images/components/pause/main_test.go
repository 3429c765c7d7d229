package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVersionFlagPrintsStampedVersion(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-v"}, nil, 1, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatalf("run -v: %v", err)
	}
	if want := "pause.go version " + pauseVersion; !strings.HasPrefix(stdout.String(), want) {
		t.Fatalf("stdout = %q, want prefix %q", stdout.String(), want)
	}
}

func TestUnknownArgumentIsAnError(t *testing.T) {
	err := run(context.Background(), []string{"--bogus"}, nil, 1, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--bogus") {
		t.Fatalf("err = %v, want an error naming --bogus", err)
	}
}

func TestTerminationSignalsReturnNil(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		signals := make(chan os.Signal, 1)
		signals <- sig
		var stdout bytes.Buffer
		if err := run(context.Background(), nil, signals, 1, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatalf("%s: run returned %v, want nil (exit 0)", sig, err)
		}
		if !strings.Contains(stdout.String(), sig.String()) {
			t.Fatalf("%s: stdout %q does not name the signal", sig, stdout.String())
		}
	}
}

func TestWarnsWhenNotPID1(t *testing.T) {
	signals := make(chan os.Signal, 1)
	signals <- syscall.SIGTERM
	var stderr bytes.Buffer
	if err := run(context.Background(), nil, signals, 42, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "PID 1") {
		t.Fatalf("stderr = %q, want a PID 1 warning", stderr.String())
	}
}

// TestSIGCHLDReapsExitedChildren starts a real child, lets it exit without waiting for it
// (leaving a zombie), delivers SIGCHLD to run, and checks the zombie is gone.
func TestSIGCHLDReapsExitedChildren(t *testing.T) {
	child := exec.Command("/bin/sh", "-c", "exit 0")
	if err := child.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	pid := child.Process.Pid
	waitForZombie(t, pid)

	signals := make(chan os.Signal, 2)
	signals <- syscall.SIGCHLD
	signals <- syscall.SIGTERM
	if err := run(context.Background(), nil, signals, 1, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var status syscall.WaitStatus
	_, err := syscall.Wait4(pid, &status, syscall.WNOHANG, nil)
	if !errors.Is(err, syscall.ECHILD) {
		t.Fatalf("Wait4(%d) after SIGCHLD = %v, want ECHILD (already reaped)", pid, err)
	}
}

func waitForZombie(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err == nil && strings.Contains(string(stat), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("child %d did not become a zombie within 5s", pid)
}
