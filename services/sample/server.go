package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewServer returns the HTTP handler of the service with every dependency
// passed in: no globals, so tests build as many as they like.
//
// requestExit asks run to exit with a code (GET /exit); crash takes the
// process down (GET /panic); roll returns a uniform number in [0,1) for
// error injection.
func NewServer(
	logger *slog.Logger,
	podName string,
	life *lifecycle,
	config *configStore,
	m *metrics,
	work workParams,
	livenessMode string,
	dep *dependencyClient,
	requestExit func(code int),
	crash func(reason string),
	roll func() float64,
) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, podName, life, config, m, work, livenessMode, dep, requestExit, crash, roll)
	var h http.Handler = mux
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		h = logRequests(logger, h)
	}
	h = recoverPanics(logger, m, h)
	h = promhttp.InstrumentHandlerInFlight(m.requestsInFlight, h)
	h = setPodName(podName, h)
	return h
}

// setPodName adds X-Pod-Name to every response, including errors and 404s.
func setPodName(podName string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pod-Name", podName)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic inside a handler into a 500 and counts it.
// It cannot see panics on other goroutines, which is how /panic crashes the
// process on purpose. http.ErrAbortHandler is re-raised: it is net/http's
// way to abort a response, not a bug.
func recoverPanics(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			m.panics.Inc()
			logger.Error("request panicked; recovered", "method", r.Method, "path", r.URL.Path, "panic", v)
			http.Error(w, "internal error: the handler panicked", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one debug line per request. It is only installed at
// SAMPLE_LOG_LEVEL=debug, because under load one line per request costs
// noticeable CPU.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Debug("request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
			"status", rec.status, "duration", time.Since(start).String(), "remote", r.RemoteAddr)
	})
}

// statusRecorder remembers the status code. It implements Flush and Unwrap
// so http.ResponseController and promhttp still reach the real writer.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
