package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// dependencyClient calls another instance of this service over HTTP
// (SAMPLE_DEPENDENCY_URL), so network chaos between pods shows up as
// dependency errors.
type dependencyClient struct {
	baseURL string // empty when no dependency is configured
	timeout time.Duration
	client  *http.Client
	metrics *metrics
}

// maxDependencyBody bounds how much of a dependency's answer is read.
const maxDependencyBody = 16 << 20

// get calls baseURL+path(?rawQuery) with the configured timeout. A transport
// error, a timeout or a non-2xx status is an error; status and body are
// returned as far as they were received.
func (d *dependencyClient) get(ctx context.Context, path, rawQuery string) (int, []byte, error) {
	if d.baseURL == "" {
		return 0, nil, errors.New("no dependency configured; set SAMPLE_DEPENDENCY_URL")
	}
	start := time.Now()
	status, body, err := d.do(ctx, path, rawQuery)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	d.metrics.dependencyDuration.WithLabelValues(path, outcome).Observe(time.Since(start).Seconds())
	return status, body, err
}

func (d *dependencyClient) do(ctx context.Context, path, rawQuery string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	target := d.baseURL + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDependencyBody))
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("GET %s: reading body: %w", target, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, body, fmt.Errorf("GET %s: status %d", target, resp.StatusCode)
	}
	return resp.StatusCode, body, nil
}

// dependencyResult is the JSON body of /dependency.
type dependencyResult struct {
	Pod              string          `json:"pod"`
	Dependency       string          `json:"dependency"`
	DependencyStatus int             `json:"dependencyStatus,omitempty"`
	ElapsedMillis    float64         `json:"elapsedMs"`
	Error            string          `json:"error,omitempty"`
	Response         json.RawMessage `json:"response,omitempty"`
}

// handleDependency serves GET /dependency: it calls the dependency's /work
// with the same query string and answers 200 with its JSON, or 502 with the
// error (503 when no dependency is configured).
func handleDependency(podName string, dep *dependencyClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dep.baseURL == "" {
			http.Error(w, "no dependency configured; set SAMPLE_DEPENDENCY_URL (flag -dependency-url)", http.StatusServiceUnavailable)
			return
		}
		start := time.Now()
		status, body, err := dep.get(r.Context(), "/work", r.URL.RawQuery)
		result := dependencyResult{
			Pod:              podName,
			Dependency:       dep.baseURL,
			DependencyStatus: status,
			ElapsedMillis:    millis(time.Since(start)),
		}
		if json.Valid(body) {
			result.Response = body
		}
		code := http.StatusOK
		if err != nil {
			code = http.StatusBadGateway
			result.Error = err.Error()
		}
		writeJSON(w, code, result)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
