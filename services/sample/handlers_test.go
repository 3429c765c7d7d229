package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeProcess records what handlers ask of the process instead of exiting or
// crashing the test binary. The real exit and crash are tested through run
// and a re-executed subprocess.
type fakeProcess struct {
	mu      sync.Mutex
	exits   []int
	crashes []string
}

func (f *fakeProcess) requestExit(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exits = append(f.exits, code)
}

func (f *fakeProcess) crash(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.crashes = append(f.crashes, reason)
}

type testHandler struct {
	http.Handler
	life    *lifecycle
	metrics *metrics
	process *fakeProcess
}

// newTestHandler builds NewServer with no config file, after moving the
// lifecycle through path (e.g. syncing, ready).
func newTestHandler(t *testing.T, work workParams, path ...State) *testHandler {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	life := newLifecycle(time.Now)
	for _, s := range path {
		if !life.advance(s) {
			t.Fatalf("test setup: cannot advance to %v", s)
		}
	}
	m := newMetrics(life)
	config, err := newConfigStore("", reloadNone, m, logger, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	dep := &dependencyClient{timeout: time.Second, client: http.DefaultClient, metrics: m}
	process := &fakeProcess{}
	h := NewServer(logger, "pod-a", life, config, m, work, livenessSimple, dep, process.requestExit, process.crash,
		func() float64 { return 0.5 })
	return &testHandler{Handler: h, life: life, metrics: m, process: process}
}

func (h *testHandler) do(method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestProbesFollowTheState(t *testing.T) {
	t.Parallel()
	var (
		syncing          = []State{StateSyncing}
		ready            = []State{StateSyncing, StateReady}
		stopping         = []State{StateSyncing, StateReady, StateStopping}
		stoppedInSyncing = []State{StateSyncing, StateStopping}
	)
	cases := []struct {
		states []State
		method string
		path   string
		status int
		body   string
	}{
		{syncing, "GET", "/livez", 200, "ok"},
		{syncing, "GET", "/readyz", 503, "not ready: syncing"},
		{syncing, "GET", "/startupz", 503, "not started: syncing"},
		{ready, "GET", "/livez", 200, "ok"},
		{ready, "GET", "/readyz", 200, "ok"},
		{ready, "GET", "/startupz", 200, "ok"},
		{ready, "HEAD", "/readyz", 200, ""}, // the real server drops HEAD bodies; see TestRealServerProbes
		{stopping, "GET", "/livez", 200, "ok"},
		{stopping, "GET", "/readyz", 503, "not ready: stopping"},
		{stopping, "HEAD", "/readyz", 503, ""},
		{stopping, "GET", "/startupz", 200, "ok"},
		{syncing, "GET", "/readyz?verbose", 503, "[-]synced failed: syncing\n[+]shutdown ok\nreadyz check failed: not ready: syncing"},
		{ready, "GET", "/readyz?verbose", 200, "[+]synced ok\n[+]shutdown ok\nreadyz check passed"},
		{stopping, "GET", "/readyz?verbose", 503, "[+]synced ok\n[-]shutdown failed: stopping\nreadyz check failed: not ready: stopping"},
		{ready, "POST", "/readyz", 405, ""},
		{stoppedInSyncing, "GET", "/startupz", 503, "not started: stopping"},
		{stoppedInSyncing, "GET", "/readyz?verbose", 503, "[-]synced failed: stopping\n[-]shutdown failed: stopping\nreadyz check failed: not ready: stopping"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.states, " ", tc.method, " ", tc.path), func(t *testing.T) {
			t.Parallel()
			rec := newTestHandler(t, workParams{}, tc.states...).do(tc.method, tc.path)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Fatalf("body %q, want %q", rec.Body.String(), tc.body)
			}
		})
	}
}

func TestEveryResponseCarriesThePodName(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)
	for _, target := range []string{"/", "/work", "/work?cpu=bad", "/livez", "/readyz", "/startupz", "/config", "/metrics", "/hostname", "/no-such-path", "/dependency"} {
		rec := h.do("GET", target)
		if got := rec.Header().Get("X-Pod-Name"); got != "pod-a" {
			t.Errorf("GET %s (status %d): X-Pod-Name %q, want pod-a", target, rec.Code, got)
		}
	}
	if rec := h.do("GET", "/hostname"); rec.Body.String() != "pod-a" {
		t.Errorf("/hostname body %q, want pod-a", rec.Body.String())
	}
}

func TestWorkRejectsBadParametersByName(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)
	cases := map[string][]string{
		"/work?cpu=10":            {"cpu", "250ms"},
		"/work?latency=-5ms":      {"latency", "negative"},
		"/work?alloc=1MB":         {"alloc", "64Mi"},
		"/work?payload=lots":      {"payload", "Ki/Mi/Gi"},
		"/work?error_rate=2":      {"error_rate", "0 to 1"},
		"/work?error_rate=NaN":    {"error_rate", "0 to 1"},
		"/?cpu=1ms&latency=later": {"latency", "Go duration"},
	}
	for target, want := range cases {
		rec := h.do("GET", target)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", target, rec.Code)
			continue
		}
		for _, w := range want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("GET %s: body %q does not mention %q", target, rec.Body.String(), w)
			}
		}
	}
}

func decodeWork(t *testing.T, rec *httptest.ResponseRecorder) workResult {
	t.Helper()
	var r workResult
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, rec.Body.String())
	}
	return r
}

func TestWorkErrorRate(t *testing.T) {
	t.Parallel()
	// The handler's dice always roll 0.5.
	cases := []struct {
		target string
		status int
	}{
		{"/work?error_rate=1", 500},
		{"/work?error_rate=0.6", 500},
		{"/work?error_rate=0.4", 200},
		{"/work?error_rate=0", 200},
		{"/work", 500}, // the process default below
	}
	h := newTestHandler(t, workParams{ErrorRate: 1}, StateSyncing, StateReady)
	for _, tc := range cases {
		rec := h.do("GET", tc.target)
		if rec.Code != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.target, rec.Code, tc.status)
		}
		r := decodeWork(t, rec)
		if (tc.status == 500) != strings.HasPrefix(r.Error, "injected error") {
			t.Errorf("GET %s: error field %q does not match status %d", tc.target, r.Error, rec.Code)
		}
		if r.Pod != "pod-a" || r.State != "ready" {
			t.Errorf("GET %s: pod %q state %q, want pod-a ready", tc.target, r.Pod, r.State)
		}
	}
}

func TestWorkPayloadIsTheExactBodySize(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{Payload: 2048}, StateSyncing, StateReady)
	cases := map[string]int{
		"/work":                           2048, // process default
		"/work?payload=1000":              1000,
		"/work?payload=1Mi":               1 << 20,
		"/work?payload=3Mi&cpu=0s":        3 << 20,
		"/work?payload=1000&error_rate=1": 1000,
	}
	for target, want := range cases {
		rec := h.do("GET", target)
		if got := rec.Body.Len(); got != want {
			t.Errorf("GET %s: body %d bytes, want %d", target, got, want)
		}
		if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(want) {
			t.Errorf("GET %s: Content-Length %s, want %d", target, cl, want)
		}
		decodeWork(t, rec) // still valid JSON
	}
	// Below the size of the JSON itself the body is that JSON, unpadded.
	for _, target := range []string{"/work?payload=1", "/work?payload=0"} {
		if r := decodeWork(t, h.do("GET", target)); r.Padding != "" {
			t.Errorf("GET %s: padding %d bytes, want none", target, len(r.Padding))
		}
	}
}

func TestWorkLatencyIsObserved(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)
	start := time.Now()
	rec := h.do("GET", "/work?latency=150ms")
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Fatalf("answered after %v, want at least 150ms", elapsed)
	}
	if r := decodeWork(t, rec); r.LatencyMillis != 150 || r.ElapsedMillis < 150 {
		t.Fatalf("latencyMs %v elapsedMs %v, want 150 and >= 150", r.LatencyMillis, r.ElapsedMillis)
	}
}

// processCPU is the CPU time (user+system) this process has used.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestWorkBurnsCPU(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)
	before := processCPU(t)
	rec := h.do("GET", "/work?cpu=200ms")
	used := processCPU(t) - before
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	r := decodeWork(t, rec)
	if r.CPUUsedMillis < 200 {
		t.Errorf("cpuUsedMs %v, want >= 200", r.CPUUsedMillis)
	}
	// Other parallel tests add CPU time too, so only the lower bound is exact.
	if used < 190*time.Millisecond {
		t.Errorf("process CPU grew by %v during a 200ms burn", used)
	}
}

func TestWorkAllocates(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := h.do("GET", "/work?alloc=48Mi")
	runtime.ReadMemStats(&after)
	if r := decodeWork(t, rec); r.AllocBytes != 48<<20 {
		t.Errorf("allocBytes %d, want %d", r.AllocBytes, 48<<20)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew < 48<<20 {
		t.Errorf("heap allocations grew by %d bytes, want at least %d", grew, 48<<20)
	}
}

func TestPanicScopes(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)

	rec := h.do("GET", "/panic?scope=request")
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "panicked") {
		t.Fatalf("scope=request: status %d body %q, want 500 from the recover middleware", rec.Code, rec.Body.String())
	}
	if rec := h.do("GET", "/livez"); rec.Code != 200 {
		t.Fatalf("after a recovered panic /livez answers %d", rec.Code)
	}
	if rec := h.do("GET", "/panic?scope=everything"); rec.Code != 400 || !strings.Contains(rec.Body.String(), "scope") {
		t.Fatalf("bad scope: status %d body %q, want 400 naming scope", rec.Code, rec.Body.String())
	}
	h.do("POST", "/panic")

	h.process.mu.Lock()
	crashes := h.process.crashes
	h.process.mu.Unlock()
	if len(crashes) != 1 || !strings.Contains(crashes[0], "POST /panic") {
		t.Fatalf("POST /panic crashed %q, want one crash naming POST /panic", crashes)
	}
	rec = h.do("GET", "/metrics")
	if v, ok := findMetric(rec.Body.String(), "sample_panics_total"); !ok || v != 2 {
		t.Fatalf("sample_panics_total = %v (found %v), want 2 (one recovered, one crash)", v, ok)
	}
}

func TestExitValidatesTheCode(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, workParams{}, StateSyncing, StateReady)
	for _, target := range []string{"/exit?code=256", "/exit?code=-1", "/exit?code=two"} {
		if rec := h.do("GET", target); rec.Code != 400 || !strings.Contains(rec.Body.String(), "code") {
			t.Errorf("GET %s: status %d body %q, want 400 naming code", target, rec.Code, rec.Body.String())
		}
	}
	if rec := h.do("GET", "/exit?code=42"); rec.Code != 200 || rec.Body.String() != "exiting with code 42\n" {
		t.Errorf("GET /exit?code=42: status %d body %q", rec.Code, rec.Body.String())
	}
	h.do("POST", "/exit")
	h.process.mu.Lock()
	defer h.process.mu.Unlock()
	if len(h.process.exits) != 2 || h.process.exits[0] != 42 || h.process.exits[1] != 0 {
		t.Errorf("exit requests %v, want [42 0]", h.process.exits)
	}
}

func TestDependencyWithoutURL(t *testing.T) {
	t.Parallel()
	rec := newTestHandler(t, workParams{}, StateSyncing, StateReady).do("GET", "/dependency")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "SAMPLE_DEPENDENCY_URL") {
		t.Fatalf("status %d body %q, want 503 naming SAMPLE_DEPENDENCY_URL", rec.Code, rec.Body.String())
	}
}

func TestConfigWithoutFile(t *testing.T) {
	t.Parallel()
	rec := newTestHandler(t, workParams{}, StateSyncing, StateReady).do("GET", "/config")
	var got configStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Source != "none" || got.ReloadMode != "none" || got.Version != "" || got.LoadedAt.IsZero() {
		t.Fatalf("/config without a file: %+v", got)
	}
}
