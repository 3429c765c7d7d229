package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// slowRequest is a GET started in the background; its outcome arrives on done.
type slowRequest struct {
	done chan slowResult
}

type slowResult struct {
	status  int
	body    string
	err     error
	elapsed time.Duration
}

func startSlowRequest(s *sample, path string) *slowRequest {
	r := &slowRequest{done: make(chan slowResult, 1)}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}
	go func() {
		defer client.CloseIdleConnections()
		start := time.Now()
		resp, err := client.Get(s.base + path)
		if err != nil {
			r.done <- slowResult{err: err, elapsed: time.Since(start)}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		r.done <- slowResult{status: resp.StatusCode, body: string(body), err: err, elapsed: time.Since(start)}
	}()
	return r
}

// waitInFlight waits until at least n requests besides the /metrics scrape
// itself are being served.
func (s *sample) waitInFlight(n int) {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.metric("sample_http_requests_in_flight") < float64(n+1) {
		if time.Now().After(deadline) {
			s.t.Fatalf("fewer than %d requests in flight after 5s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGracefulShutdownDrainsThenLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"SAMPLE_DRAIN_DELAY": "600ms", "SAMPLE_SHUTDOWN_TIMEOUT": "5s"})
	s.waitStatus("/readyz", 200, 5*time.Second)

	slow := startSlowRequest(s, "/work?latency=1500ms")
	s.waitInFlight(1)
	s.cancel() // what SIGTERM does

	// During the drain delay: readiness fails, liveness passes, work is served.
	_, body := s.waitStatus("/readyz", 503, 500*time.Millisecond)
	if body != "not ready: stopping" {
		t.Errorf("/readyz while draining: %q, want %q", body, "not ready: stopping")
	}
	if status, _ := s.get("/livez"); status != 200 {
		t.Errorf("/livez while draining: %d, want 200", status)
	}
	if status, _ := s.get("/work"); status != 200 {
		t.Errorf("/work while draining: %d, want 200", status)
	}

	res := <-slow.done
	if res.err != nil || res.status != 200 {
		t.Fatalf("in-flight request: status %d err %v, want 200", res.status, res.err)
	}
	if err := s.wait(5 * time.Second); err != nil {
		t.Fatalf("run returned %v, want nil (SAMPLE_EXIT_CODE 0)", err)
	}
	if _, _, err := s.tryGet("/livez"); err == nil {
		t.Errorf("still answering after run returned")
	}
	line, _ := s.logs.find("shutdown complete")
	if d, err := time.ParseDuration(line["duration"].(string)); err != nil || d < 600*time.Millisecond {
		t.Errorf("logged shutdown duration %v (%v), want at least the 600ms drain delay", line["duration"], err)
	}
}

func TestGracefulShutdownCutsRequestsThatOutliveTheTimeout(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"SAMPLE_SHUTDOWN_TIMEOUT": "300ms"})
	slow := startSlowRequest(s, "/work?latency=10s")
	s.waitInFlight(1)
	began := time.Now()
	s.cancel()
	if err := s.wait(3 * time.Second); err != nil {
		t.Fatalf("run returned %v", err)
	}
	if took := time.Since(began); took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("shutdown took %v, want about the 300ms timeout", took)
	}
	if res := <-slow.done; res.err == nil {
		t.Fatalf("request outliving the shutdown timeout completed with %d", res.status)
	}
	s.logs.waitFor(t, "shutdown timeout exceeded: cutting the remaining requests", time.Second)
}

func TestAbruptShutdownCutsInFlightRequests(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"SAMPLE_SHUTDOWN_MODE": "abrupt", "SAMPLE_DRAIN_DELAY": "5s", "SAMPLE_EXIT_CODE": "143"})
	s.waitStatus("/readyz", 200, 5*time.Second)
	slow := startSlowRequest(s, "/work?latency=5s")
	s.waitInFlight(1)
	began := time.Now()
	s.cancel()
	err := s.wait(2 * time.Second)
	if took := time.Since(began); took > time.Second {
		t.Errorf("abrupt shutdown took %v; it must not wait for the drain delay or requests", took)
	}
	if code := exitCodeOf(t, err); code != 143 {
		t.Errorf("exit code %d, want SAMPLE_EXIT_CODE 143", code)
	}
	res := <-slow.done
	if res.err == nil {
		t.Fatalf("in-flight request survived an abrupt shutdown: status %d", res.status)
	}
	if res.elapsed > 3*time.Second {
		t.Errorf("in-flight request ended after %v; it should be cut at once", res.elapsed)
	}
}

func TestIgnoreModeKeepsServingAfterTheSignal(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"SAMPLE_SHUTDOWN_MODE": "ignore"})
	s.waitStatus("/readyz", 200, 5*time.Second)
	s.cancel()
	s.logs.waitFor(t, "termination signal ignored (SAMPLE_SHUTDOWN_MODE=ignore); only SIGKILL or /exit stops this process", time.Second)
	time.Sleep(300 * time.Millisecond)
	for _, path := range []string{"/readyz", "/work", "/livez"} {
		if status, body := s.get(path); status != 200 {
			t.Errorf("GET %s after the signal: %d %q, want 200", path, status, body)
		}
	}
	if s.returned() {
		t.Fatal("run returned although the signal must be ignored")
	}
	s.get("/exit?code=7")
	if code := exitCodeOf(t, s.wait(3*time.Second)); code != 7 {
		t.Fatalf("exit code %d, want 7", code)
	}
}

func TestExitEndpointCodeReachesTheProcessExitStatus(t *testing.T) {
	t.Parallel()
	s := startSample(t, nil)
	status, body := s.get("/exit?code=42")
	if status != 200 || body != "exiting with code 42\n" {
		t.Fatalf("/exit?code=42: %d %q", status, body)
	}
	err := s.wait(3 * time.Second)
	if code := exitCodeOf(t, err); code != 42 {
		t.Fatalf("run's exit code %d, want 42", code)
	}
	var stderr strings.Builder
	if got := exitStatus(err, &stderr); got != 42 {
		t.Fatalf("exitStatus = %d, want 42", got)
	}
	if !strings.Contains(stderr.String(), "exit requested via /exit") {
		t.Errorf("stderr %q does not say why", stderr.String())
	}
}

func TestExitCodeAfterGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"SAMPLE_EXIT_CODE": "3"})
	s.cancel()
	if code := exitCodeOf(t, s.wait(3*time.Second)); code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
}

func TestStartupDelayAndSyncingPhase(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	began := time.Now()
	s := launchSample(t, map[string]string{
		"SAMPLE_PORT":          strconv.Itoa(port),
		"SAMPLE_LISTEN_DELAY":  "500ms",
		"SAMPLE_SYNC_DURATION": "700ms",
		"SAMPLE_WARMUP_ALLOC":  "32Mi",
	})
	s.base = "http://127.0.0.1:" + strconv.Itoa(port)

	time.Sleep(150 * time.Millisecond)
	if _, _, err := s.tryGet("/livez"); err == nil {
		t.Fatal("answering during the listen delay; nothing may listen yet")
	}

	s.waitStatus("/livez", 200, 5*time.Second)
	listenedAfter := time.Since(began)
	if listenedAfter < 500*time.Millisecond {
		t.Errorf("listening after %v, before the 500ms listen delay", listenedAfter)
	}
	if status, body := s.get("/readyz"); status != 503 || body != "not ready: syncing" {
		t.Errorf("/readyz while syncing: %d %q", status, body)
	}
	if status, body := s.get("/startupz"); status != 503 || body != "not started: syncing" {
		t.Errorf("/startupz while syncing: %d %q", status, body)
	}
	if v := s.metric(`sample_state{state="syncing"}`); v != 1 {
		t.Errorf(`sample_state{state="syncing"} = %v while syncing`, v)
	}

	s.waitStatus("/readyz", 200, 5*time.Second)
	if readyAfter := time.Since(began); readyAfter < 1200*time.Millisecond {
		t.Errorf("ready %v after start, before listen delay + sync duration (1.2s)", readyAfter)
	}
	ready := s.logs.waitFor(t, "ready", time.Second)
	if synced, err := time.ParseDuration(ready["syncedIn"].(string)); err != nil || synced < 700*time.Millisecond {
		t.Errorf("logged syncedIn %v (%v), want at least the 700ms sync duration", ready["syncedIn"], err)
	}
	if status, _ := s.get("/startupz"); status != 200 {
		t.Errorf("/startupz once ready: %d", status)
	}
	if v := s.metric("sample_warmup_bytes"); v != 32<<20 {
		t.Errorf("sample_warmup_bytes = %v, want %d", v, 32<<20)
	}
	var w workResult
	_, body := s.get("/work")
	if err := json.Unmarshal([]byte(body), &w); err != nil || w.State != "ready" || w.Pod != "test-pod" {
		t.Errorf("/work once ready: %q (%v)", body, err)
	}
}

func TestSignalDuringListenDelayExitsWithoutListening(t *testing.T) {
	t.Parallel()
	s := launchSample(t, map[string]string{"SAMPLE_LISTEN_DELAY": "1h", "SAMPLE_EXIT_CODE": "5"})
	s.logs.waitFor(t, "delaying listen", 5*time.Second)
	s.cancel()
	if code := exitCodeOf(t, s.wait(3*time.Second)); code != 5 {
		t.Fatalf("exit code %d, want 5", code)
	}
	if _, ok := s.logs.find("listening"); ok {
		t.Fatal("listened although the signal came during the listen delay")
	}
}

func TestRealServerProbes(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"POD_NAME": "web-7"})
	s.waitStatus("/readyz", 200, 5*time.Second)
	for _, path := range []string{"/livez", "/readyz", "/startupz"} {
		req, _ := http.NewRequest(http.MethodHead, s.base+path, nil)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != 2 || resp.Header.Get("X-Pod-Name") != "web-7" {
			t.Errorf("HEAD %s: %d, length %d, pod %q", path, resp.StatusCode, resp.ContentLength, resp.Header.Get("X-Pod-Name"))
		}
	}
	if status, body := s.get("/hostname"); status != 200 || body != "web-7" {
		t.Errorf("/hostname: %d %q", status, body)
	}
	if status, body := s.get("/?payload=4Ki"); status != 200 || len(body) != 4096 {
		t.Errorf("/?payload=4Ki: %d, %d bytes", status, len(body))
	}
}

func TestDependencyLivenessFollowsTheDependency(t *testing.T) {
	t.Parallel()
	backend := startSample(t, map[string]string{"POD_NAME": "backend"})
	backendPort := strings.TrimPrefix(backend.base, "http://127.0.0.1:")
	frontend := startSample(t, map[string]string{
		"POD_NAME":                  "frontend",
		"SAMPLE_LIVENESS_MODE":      "dependency",
		"SAMPLE_DEPENDENCY_URL":     backend.base,
		"SAMPLE_DEPENDENCY_TIMEOUT": "500ms",
	})
	control := startSample(t, map[string]string{"SAMPLE_DEPENDENCY_URL": backend.base}) // simple liveness

	if status, body := frontend.get("/livez"); status != 200 {
		t.Fatalf("/livez with the dependency up: %d %q", status, body)
	}
	status, body := frontend.get("/dependency?payload=600")
	var res dependencyResult
	if err := json.Unmarshal([]byte(body), &res); err != nil || status != 200 {
		t.Fatalf("/dependency with the dependency up: %d %q", status, body)
	}
	var work workResult
	if err := json.Unmarshal(res.Response, &work); err != nil || work.Pod != "backend" || len(res.Response) != 600 || res.Pod != "frontend" {
		t.Fatalf("/dependency did not relay the backend's /work with its query: %s", body)
	}

	backend.cancel()
	if err := backend.wait(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	status, body = frontend.get("/livez")
	if status != 503 || !strings.Contains(body, "dependency "+backend.base+"/livez failed") {
		t.Fatalf("/livez with the dependency down: %d %q, want 503 naming the dependency", status, body)
	}
	if status, _ := control.get("/livez"); status != 200 {
		t.Errorf("simple liveness failed because of the dependency: %d", status)
	}
	status, body = frontend.get("/dependency")
	if status != 502 || !strings.Contains(body, `"error"`) {
		t.Fatalf("/dependency with the dependency down: %d %q, want 502 with the error", status, body)
	}
	if v := frontend.metric(`sample_dependency_request_duration_seconds_count{outcome="error",path="/work"}`); v != 1 {
		t.Errorf("dependency error count %v, want 1", v)
	}

	// The dependency comes back on the same port: liveness passes again.
	startSample(t, map[string]string{"SAMPLE_PORT": backendPort, "POD_NAME": "backend-2"})
	frontend.waitStatus("/livez", 200, 5*time.Second)
}

func TestDependencyErrorStatusIsABadGateway(t *testing.T) {
	t.Parallel()
	backend := startSample(t, map[string]string{"SAMPLE_WORK_ERROR_RATE": "1"})
	frontend := startSample(t, map[string]string{"SAMPLE_DEPENDENCY_URL": backend.base})
	status, body := frontend.get("/dependency")
	var res dependencyResult
	if err := json.Unmarshal([]byte(body), &res); err != nil || status != 502 || res.DependencyStatus != 500 || len(res.Response) == 0 {
		t.Fatalf("/dependency over a failing backend: %d %q, want 502 with dependencyStatus 500 and its body", status, body)
	}
}

func TestGRPCHealthFollowsReadiness(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{
		"SAMPLE_GRPC_PORT":     strconv.Itoa(freePort(t)),
		"SAMPLE_SYNC_DURATION": "400ms",
		"SAMPLE_DRAIN_DELAY":   "2s",
	})
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	check := func(service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		return resp.GetStatus(), err
	}
	waitFor := func(want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := check("")
			if err == nil && got == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("gRPC health: got %v (%v), want %v", got, err, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got, err := check("sample"); err != nil || got != want {
			t.Fatalf(`gRPC health of service "sample": %v (%v), want %v`, got, err, want)
		}
	}

	if got, _ := check(""); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("while syncing: %v, want NOT_SERVING", got)
	}
	waitFor(healthpb.HealthCheckResponse_SERVING)
	if _, err := check("other"); status.Code(err) != codes.NotFound {
		t.Errorf("unknown service: %v, want NotFound", err)
	}
	s.cancel()
	waitFor(healthpb.HealthCheckResponse_NOT_SERVING) // during the drain delay
	if status, _ := s.get("/readyz"); status != 503 {
		t.Errorf("/readyz disagrees with gRPC health: %d", status)
	}
}

func TestMetricsExposeTheNamedSeries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := dir + "/config.yaml"
	writeFile(t, path, "version: \"v9\"\n")
	s := startSample(t, map[string]string{"SAMPLE_CONFIG_FILE": path})
	s.waitStatus("/readyz", 200, 5*time.Second)
	s.get("/work")
	s.get("/work?error_rate=1")
	_, body := s.get("/metrics")
	for _, series := range []string{
		`sample_http_request_duration_seconds_bucket{code="200",path="/work",le="0.005"}`,
		`sample_http_request_duration_seconds_count{code="500",path="/work"} 1`,
		`sample_http_request_duration_seconds_count{code="200",path="/readyz"}`,
		`sample_http_requests_in_flight 1`,
		`sample_ready 1`,
		`sample_state{state="ready"} 1`,
		`sample_state{state="syncing"} 0`,
		`sample_state{state="stopping"} 0`,
		`sample_config_info{version="v9"} 1`,
		`sample_config_reloads_total 0`,
		`sample_config_reload_errors_total 0`,
		`sample_shutdown_duration_seconds 0`,
		`sample_panics_total 0`,
		`sample_leaked_bytes 0`,
		`go_goroutines `,
		`go_memstats_heap_alloc_bytes `,
		`process_resident_memory_bytes `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(body, "\n"+series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

func TestLeakRetainsMemory(t *testing.T) {
	t.Parallel()
	s := startSample(t, map[string]string{"SAMPLE_LEAK_RATE": "64Mi"})
	time.Sleep(400 * time.Millisecond)
	first := s.metric("sample_leaked_bytes")
	time.Sleep(400 * time.Millisecond)
	second := s.metric("sample_leaked_bytes")
	if first < 16<<20 || second < first+16<<20 {
		t.Fatalf("sample_leaked_bytes %v then %v; at 64Mi/s it should grow by ~25Mi per 400ms", first, second)
	}
	// Leaked memory must survive garbage collection.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if float64(ms.HeapAlloc) < second {
		t.Fatalf("after GC the heap holds %d bytes, less than the %v leaked", ms.HeapAlloc, second)
	}
}

// dialFails reports whether nothing accepts TCP connections on addr.
func dialFails(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c.Close()
		return false
	}
	return true
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir+"/noversion.yaml", "replicas: 3\n")
	writeFile(t, dir+"/intversion.yaml", "version: 3\n")
	cases := map[string][]string{
		dir + "/missing.yaml":    {"missing.yaml", "no such file"},
		dir + "/noversion.yaml":  {"missing top-level key version"},
		dir + "/intversion.yaml": {"version is int 3", `version: "3"`},
	}
	for path, want := range cases {
		port := freePort(t)
		err := run(context.Background(), []string{"sample"}, envFunc(testEnv(map[string]string{
			"SAMPLE_CONFIG_FILE": path, "SAMPLE_PORT": strconv.Itoa(port),
		})), &logBuffer{}, &logBuffer{})
		if err == nil {
			t.Errorf("%s: run started", path)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", path, err, w)
			}
		}
		if !dialFails("127.0.0.1:" + strconv.Itoa(port)) {
			t.Errorf("%s: something listens although the config is bad", path)
		}
	}
}
