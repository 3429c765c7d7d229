package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"
)

// handleExit serves /exit?code=N (agnhost style): it answers 200, then asks
// run to stop at once and return an exit error carrying N, which main turns
// into the process exit code. In-flight requests are cut, as with a crash.
func handleExit(logger *slog.Logger, requestExit func(code int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := 0
		if raw := r.URL.Query().Get("code"); raw != "" {
			n, err := parseExitCode(raw)
			if err != nil {
				http.Error(w, fmt.Sprintf("invalid query parameter code=%q: %v", raw, err), http.StatusBadRequest)
				return
			}
			code = n
		}
		logger.Warn("exit requested over HTTP", "code", code, "remote", r.RemoteAddr)
		// The whole answer goes out before run closes the connection: a
		// Content-Length body is complete once flushed, a chunked one would
		// still lack its final chunk.
		body := fmt.Sprintf("exiting with code %d\n", code)
		w.Header().Set("Connection", "close")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write([]byte(body))
		_ = http.NewResponseController(w).Flush()
		requestExit(code)
	})
}

// handlePanic serves /panic. scope=process (the default) crashes the whole
// process the way a real fatal bug does: the panic happens on a fresh
// goroutine, where no recover can reach it, and the Go runtime exits with
// status 2 and a stack trace on stderr. scope=request panics inside the
// handler, which the recover middleware turns into a 500 (and counts).
func handlePanic(logger *slog.Logger, m *metrics, crash func(reason string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch scope := r.URL.Query().Get("scope"); scope {
		case "", "process":
			m.panics.Inc()
			logger.Error("crashing the process on request", "path", r.URL.Path, "remote", r.RemoteAddr)
			crash("panic requested via " + r.Method + " " + r.URL.Path)
			http.Error(w, "crashing", http.StatusInternalServerError)
		case "request":
			panic("panic requested via " + r.Method + " " + r.URL.Path + "?scope=request")
		default:
			http.Error(w, fmt.Sprintf("invalid query parameter scope=%q: use process (crash the process) or request (recovered, answers 500)", scope), http.StatusBadRequest)
		}
	})
}

// crashProcess panics on a new goroutine. Nothing recovers a panic on a
// goroutine it did not start, so the runtime prints the panic and exits 2,
// like any unhandled fatal error. It returns at once; the crash follows.
func crashProcess(reason string) {
	go func() { panic("sample: " + reason) }()
}

// panicAfter crashes the process d after it is called, unless ctx ends first.
func panicAfter(ctx context.Context, d time.Duration, logger *slog.Logger, m *metrics, crash func(string)) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
		m.panics.Inc()
		logger.Error("crashing the process: panic-after elapsed", "panicAfter", d.String())
		crash("panic-after " + d.String() + " elapsed (SAMPLE_PANIC_AFTER)")
	}
}

// leakTick is how often leakMemory grows its retained set.
const leakTick = 100 * time.Millisecond

// leakMemory allocates bytesPerSecond per second in leakTick steps, touches
// every page and keeps all of it until ctx ends (in a real process: until the
// OOM killer comes).
func leakMemory(ctx context.Context, bytesPerSecond int64, m *metrics) {
	var retained []touchedMemory
	var total int64
	start := time.Now()
	ticker := time.NewTicker(leakTick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			runtime.KeepAlive(retained)
			return
		case <-ticker.C:
			due := int64(float64(bytesPerSecond) * time.Since(start).Seconds())
			if due <= total {
				continue
			}
			retained = append(retained, allocateTouched(due-total))
			total = due
			m.leakedBytes.Set(float64(total))
		}
	}
}

// warmUp allocates n bytes (touched) as a stand-in for a cache filled at
// start, and returns them for the caller to keep.
func warmUp(n int64, m *metrics) touchedMemory {
	mem := allocateTouched(n)
	m.warmupBytes.Set(float64(mem.size()))
	return mem
}

func handleHostname(podName string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(podName))
	})
}

func handleConfig(config *configStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, config.Status())
	})
}
