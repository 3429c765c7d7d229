package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serviceProcess is the test binary re-executed as the service (see TestMain),
// for what cannot happen inside the test process: crashes and real signals.
type serviceProcess struct {
	*sample
	cmd *exec.Cmd
}

func startServiceProcess(t *testing.T, overrides map[string]string) *serviceProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SAMPLE_TEST_RUN_AS_SERVICE=1")
	for k, v := range testEnv(overrides) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &sample{t: t, logs: &logBuffer{}, stderr: &logBuffer{}, client: newTestClient()}
	cmd.Stdout, cmd.Stderr = s.logs, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		s.client.CloseIdleConnections()
	})
	return &serviceProcess{sample: s, cmd: cmd}
}

// exitCode waits for the process to end and returns its exit code, or -1
// with the signal if a signal killed it.
func (p *serviceProcess) exitCode(timeout time.Duration) (int, syscall.Signal) {
	p.t.Helper()
	waited := make(chan error, 1)
	go func() { waited <- p.cmd.Wait() }()
	select {
	case err := <-waited:
		var exit *exec.ExitError
		if err == nil {
			return 0, 0
		}
		if !errors.As(err, &exit) {
			p.t.Fatalf("wait: %v", err)
		}
		status := exit.Sys().(syscall.WaitStatus)
		if status.Signaled() {
			return -1, status.Signal()
		}
		return status.ExitStatus(), 0
	case <-time.After(timeout):
		p.t.Fatalf("process still running after %v; stdout:\n%s\nstderr:\n%s", timeout, p.logs, p.stderr)
		return 0, 0
	}
}

func TestPanicAfterCrashesTheProcess(t *testing.T) {
	t.Parallel()
	began := time.Now()
	p := startServiceProcess(t, map[string]string{"SAMPLE_PANIC_AFTER": "300ms"})
	code, _ := p.exitCode(20 * time.Second)
	if code != 2 {
		t.Fatalf("exit code %d, want 2 (Go's exit code for an unrecovered panic); stderr:\n%s", code, p.stderr)
	}
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("crashed after %v, before the 300ms panic-after", took)
	}
	if !strings.Contains(p.stderr.String(), "panic: sample: panic-after 300ms elapsed (SAMPLE_PANIC_AFTER)") {
		t.Errorf("stderr lacks the panic message:\n%s", p.stderr)
	}
	p.logs.waitFor(t, "crashing the process: panic-after elapsed", time.Second)
}

func TestPanicEndpointCrashesTheProcessNotJustTheRequest(t *testing.T) {
	t.Parallel()
	p := startServiceProcess(t, nil)
	p.waitListening(20 * time.Second)
	p.waitStatus("/readyz", 200, 5*time.Second)
	_, _, _ = p.tryGet("/panic") // the answer may or may not arrive before the crash
	code, _ := p.exitCode(10 * time.Second)
	if code != 2 {
		t.Fatalf("exit code %d, want 2; stderr:\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "panic: sample: panic requested via GET /panic") {
		t.Errorf("stderr lacks the panic message:\n%s", p.stderr)
	}
}

func TestRealSIGTERM(t *testing.T) {
	t.Parallel()
	t.Run("graceful exits with SAMPLE_EXIT_CODE", func(t *testing.T) {
		t.Parallel()
		p := startServiceProcess(t, map[string]string{"SAMPLE_EXIT_CODE": "3", "SAMPLE_DRAIN_DELAY": "200ms"})
		p.waitListening(20 * time.Second)
		p.waitStatus("/readyz", 200, 5*time.Second)
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code, sig := p.exitCode(10 * time.Second); code != 3 {
			t.Fatalf("exit code %d (signal %v), want 3; stderr:\n%s", code, sig, p.stderr)
		}
		p.logs.waitFor(t, "shutdown complete", time.Second)
	})
	t.Run("ignore survives SIGTERM until SIGKILL", func(t *testing.T) {
		t.Parallel()
		p := startServiceProcess(t, map[string]string{"SAMPLE_SHUTDOWN_MODE": "ignore"})
		p.waitListening(20 * time.Second)
		p.waitStatus("/readyz", 200, 5*time.Second)
		for range 2 {
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if status, _ := p.get("/readyz"); status != 200 {
			t.Fatalf("/readyz after two SIGTERMs: %d", status)
		}
		_ = p.cmd.Process.Kill()
		if code, sig := p.exitCode(10 * time.Second); code != -1 || sig != syscall.SIGKILL {
			t.Fatalf("exit code %d signal %v, want killed by SIGKILL", code, sig)
		}
	})
}
