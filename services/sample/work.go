package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"time"
)

// workParams is what one /work request does. The process-wide defaults come
// from SAMPLE_WORK_*; query parameters override them per request.
type workParams struct {
	CPU       time.Duration // thread CPU time to burn
	Alloc     int64         // bytes to allocate (and touch) while serving
	Latency   time.Duration // sleep added to the request
	ErrorRate float64       // probability of answering 500
	Payload   int64         // exact response body size, when above the minimum
}

// parseWorkParams applies the query parameters cpu, alloc, latency,
// error_rate and payload to defaults. The error names the first bad
// parameter and the form it accepts.
func parseWorkParams(q url.Values, defaults workParams) (workParams, error) {
	p := defaults
	durations := []struct {
		name string
		dst  *time.Duration
	}{{"cpu", &p.CPU}, {"latency", &p.Latency}}
	for _, d := range durations {
		if raw, ok := q[d.name]; ok {
			v, err := parseDuration(raw[0])
			if err != nil {
				return p, fmt.Errorf("invalid query parameter %s=%q: %w", d.name, raw[0], err)
			}
			*d.dst = v
		}
	}
	sizes := []struct {
		name string
		dst  *int64
	}{{"alloc", &p.Alloc}, {"payload", &p.Payload}}
	for _, s := range sizes {
		if raw, ok := q[s.name]; ok {
			v, err := parseByteSize(raw[0])
			if err != nil {
				return p, fmt.Errorf("invalid query parameter %s=%q: %w", s.name, raw[0], err)
			}
			*s.dst = v
		}
	}
	if raw, ok := q["error_rate"]; ok {
		v, err := parseFraction(raw[0])
		if err != nil {
			return p, fmt.Errorf("invalid query parameter error_rate=%q: %w", raw[0], err)
		}
		p.ErrorRate = v
	}
	return p, nil
}

// workResult is the JSON body of /work. Padding is last on purpose:
// writeWorkResult streams the filler into it to reach the payload size.
type workResult struct {
	Pod           string  `json:"pod"`
	State         string  `json:"state"`
	ConfigVersion string  `json:"configVersion"`
	Error         string  `json:"error,omitempty"`
	CPUMillis     float64 `json:"cpuMs"`
	CPUUsedMillis float64 `json:"cpuUsedMs"`
	AllocBytes    int64   `json:"allocBytes"`
	LatencyMillis float64 `json:"latencyMs"`
	ElapsedMillis float64 `json:"elapsedMs"`
	Padding       string  `json:"padding"`
}

// handleWork serves GET /work and GET /: burn CPU, allocate, sleep, then
// answer 200 or (with probability error_rate) 500.
func handleWork(podName string, life *lifecycle, config *configStore, defaults workParams, roll func() float64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		p, err := parseWorkParams(r.URL.Query(), defaults)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cpuUsed, err := burnCPU(r.Context(), p.CPU)
		if err != nil {
			if r.Context().Err() == nil { // not the client going away
				http.Error(w, "burn CPU: "+err.Error(), http.StatusInternalServerError)
			}
			return
		}
		allocated := allocateTouched(p.Alloc)
		if err := sleepContext(r.Context(), p.Latency); err != nil {
			return
		}
		result := workResult{
			Pod:           podName,
			State:         life.State().String(),
			ConfigVersion: config.Version(),
			CPUMillis:     millis(p.CPU),
			CPUUsedMillis: millis(cpuUsed),
			AllocBytes:    allocated.size(),
			LatencyMillis: millis(p.Latency),
			ElapsedMillis: millis(time.Since(start)),
		}
		status := http.StatusOK
		if p.ErrorRate > 0 && roll() < p.ErrorRate {
			status = http.StatusInternalServerError
			result.Error = "injected error (error_rate=" + strconv.FormatFloat(p.ErrorRate, 'g', -1, 64) + ")"
		}
		writeWorkResult(w, status, result, p.Payload)
		allocated.keepAlive()
	})
}

// writeWorkResult writes result as JSON whose total length is exactly
// payload bytes, by filling the padding field with 'x'. When payload is
// smaller than the JSON without padding, the body is that JSON (padding "").
func writeWorkResult(w http.ResponseWriter, status int, result workResult, payload int64) {
	result.Padding = ""
	body, err := json.Marshal(result)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	filler := max(payload-int64(len(body)), 0)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(int64(len(body))+filler, 10))
	w.WriteHeader(status)
	// body ends with `"padding":""}`: write up to the opening quote, stream
	// the filler, then close the string and the object.
	head, tail := body[:len(body)-2], body[len(body)-2:]
	if _, err := w.Write(head); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte{'x'}, int(min(filler, 64<<10)))
	for remaining := filler; remaining > 0; {
		n := min(remaining, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		remaining -= n
	}
	_, _ = w.Write(tail)
}

// pageSize is the stride at which allocations are touched so that the kernel
// really backs them with memory (RSS grows, cgroup memory limits bite).
const pageSize = 4096

// allocChunk is the size of each allocation: small enough to go through Go's
// size-classed allocator and GC like ordinary objects, large enough to be cheap.
const allocChunk = 32 << 10

// touchedMemory is memory allocated by allocateTouched.
type touchedMemory [][]byte

// allocateTouched allocates n bytes in allocChunk pieces and writes one byte
// per page of each.
func allocateTouched(n int64) touchedMemory {
	if n <= 0 {
		return nil
	}
	chunks := make(touchedMemory, 0, (n+allocChunk-1)/allocChunk)
	for remaining := n; remaining > 0; remaining -= allocChunk {
		b := make([]byte, min(remaining, allocChunk))
		for i := 0; i < len(b); i += pageSize {
			b[i] = 1
		}
		chunks = append(chunks, b)
	}
	return chunks
}

func (m touchedMemory) size() int64 {
	var n int64
	for _, b := range m {
		n += int64(len(b))
	}
	return n
}

// keepAlive keeps the memory reachable until this call, so the GC cannot
// free it earlier (e.g. before the response is written).
func (m touchedMemory) keepAlive() { runtime.KeepAlive(m) }

// sleepContext sleeps for d or until ctx ends, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
