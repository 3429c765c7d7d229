package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets tests re-execute the test binary as the real service (for
// crashes and real signals): with SAMPLE_TEST_RUN_AS_SERVICE=1 the binary
// does what main does and never runs the tests.
func TestMain(m *testing.M) {
	if os.Getenv("SAMPLE_TEST_RUN_AS_SERVICE") == "1" {
		err := run(context.Background(), []string{"sample"}, os.Getenv, os.Stdout, os.Stderr)
		os.Exit(exitStatus(err, os.Stderr))
	}
	os.Exit(m.Run())
}

// logBuffer collects JSON log lines written by run, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// find returns the first complete JSON log line whose msg is msg.
func (b *logBuffer) find(msg string) (map[string]any, bool) {
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			return line, true
		}
	}
	return nil, false
}

// waitFor waits until a log line with msg appears.
func (b *logBuffer) waitFor(t *testing.T, msg string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if line, ok := b.find(msg); ok {
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line %q within %v; logs:\n%s", msg, timeout, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sample is one run of the service inside the test process.
type sample struct {
	t        *testing.T
	base     string // http://127.0.0.1:port once listening
	grpcAddr string
	logs     *logBuffer
	stderr   *logBuffer
	cancel   context.CancelFunc
	client   *http.Client

	done     chan struct{}
	runError error
}

// testEnv is the environment every in-process sample starts from: free
// ports, no gRPC, no drain delay. Tests override entries.
func testEnv(overrides map[string]string) map[string]string {
	env := map[string]string{
		"SAMPLE_PORT":        "0",
		"SAMPLE_GRPC_PORT":   "0",
		"POD_NAME":           "test-pod",
		"SAMPLE_DRAIN_DELAY": "0s",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

// launchSample starts run in a goroutine and returns without waiting for it
// to listen. Cleanup stops it (via /exit if it ignores cancellation).
func launchSample(t *testing.T, overrides map[string]string) *sample {
	t.Helper()
	env := testEnv(overrides)
	ctx, cancel := context.WithCancel(context.Background())
	s := &sample{
		t:      t,
		logs:   &logBuffer{},
		stderr: &logBuffer{},
		cancel: cancel,
		client: newTestClient(),
		done:   make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		s.runError = run(ctx, []string{"sample"}, func(k string) string { return env[k] }, s.logs, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(500 * time.Millisecond):
			if s.base != "" { // ignore mode: only /exit stops it
				resp, err := s.client.Get(s.base + "/exit?code=0")
				if err == nil {
					resp.Body.Close()
				}
			}
			select {
			case <-s.done:
			case <-time.After(15 * time.Second):
				t.Errorf("run did not return after cancel and /exit; logs:\n%s", s.logs.String())
			}
		}
		s.client.CloseIdleConnections()
	})
	return s
}

// startSample starts run and waits until it listens.
func startSample(t *testing.T, overrides map[string]string) *sample {
	t.Helper()
	s := launchSample(t, overrides)
	s.waitListening(10 * time.Second)
	return s
}

// waitListening waits for the "listening" log line and records the addresses.
func (s *sample) waitListening(timeout time.Duration) {
	s.t.Helper()
	line := s.logs.waitFor(s.t, "listening", timeout)
	_, port, err := net.SplitHostPort(line["http"].(string))
	if err != nil {
		s.t.Fatalf("listening line has no HTTP address: %v", line)
	}
	s.base = "http://127.0.0.1:" + port
	if g := line["grpc"].(string); g != "disabled" {
		_, gport, _ := net.SplitHostPort(g)
		s.grpcAddr = "127.0.0.1:" + gport
	}
}

// wait returns run's result, failing the test if it takes longer than timeout.
func (s *sample) wait(timeout time.Duration) error {
	s.t.Helper()
	select {
	case <-s.done:
		return s.runError
	case <-time.After(timeout):
		s.t.Fatalf("run did not return within %v; logs:\n%s", timeout, s.logs.String())
		return nil
	}
}

// returned reports whether run has returned.
func (s *sample) returned() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// get performs GET base+path and returns status and body; it fails the test
// on a transport error.
func (s *sample) get(path string) (int, string) {
	s.t.Helper()
	status, body, err := s.tryGet(path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	return status, body
}

func (s *sample) tryGet(path string) (int, string, error) {
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// waitStatus polls path until it answers want, failing after timeout.
func (s *sample) waitStatus(path string, want int, timeout time.Duration) (int, string) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		status, body, err := s.tryGet(path)
		if err == nil && status == want {
			return status, body
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("GET %s: want %d within %v, last got %d %q (err %v)", path, want, timeout, status, body, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metric returns the value of the first series in /metrics whose line starts
// with prefix (name plus optional labels), or fails.
func (s *sample) metric(prefix string) float64 {
	s.t.Helper()
	status, body := s.get("/metrics")
	if status != http.StatusOK {
		s.t.Fatalf("/metrics: status %d", status)
	}
	v, ok := findMetric(body, prefix)
	if !ok {
		s.t.Fatalf("/metrics has no series starting with %q", prefix)
	}
	return v
}

func findMetric(exposition, prefix string) (float64, bool) {
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		// The prefix must end at a token boundary: sample_ready must not match
		// sample_ready_total, but a partial label list may be given.
		if rest := line[len(prefix):]; rest == "" || !strings.ContainsRune(" {},", rune(rest[0])) {
			continue
		}
		fields := strings.Fields(line)
		var v float64
		if _, err := fmt.Sscan(fields[len(fields)-1], &v); err == nil {
			return v, true
		}
	}
	return 0, false
}

// exitCodeOf returns the code carried by an exitError, or fails.
func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var exit *exitError
	if !errors.As(err, &exit) {
		t.Fatalf("want an exitError, got %v", err)
	}
	return exit.Code
}

// newTestClient has its own transport so idle connections are closed per test.
func newTestClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
}

// freePort returns a TCP port that was free a moment ago. Only used for the
// gRPC port, where 0 means "disabled" rather than "pick one".
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
