package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// addRoutes is the one place that maps URLs to handlers. Every route is
// measured in sample_http_request_duration_seconds under its path (never
// the raw URL, to keep label cardinality fixed). README.md documents each.
func addRoutes(
	mux *http.ServeMux,
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
) {
	measured := func(path string, h http.Handler) http.Handler {
		return promhttp.InstrumentHandlerDuration(
			m.requestDuration.MustCurryWith(prometheus.Labels{"path": path}), h)
	}
	workHandler := handleWork(podName, life, config, work, roll)
	panicHandler := measured("/panic", handlePanic(logger, m, crash))
	exitHandler := measured("/exit", handleExit(logger, requestExit))

	mux.Handle("GET /livez", measured("/livez", handleLivez(livenessMode, dep, logger)))
	mux.Handle("GET /readyz", measured("/readyz", handleReadyz(life)))
	mux.Handle("GET /startupz", measured("/startupz", handleStartupz(life)))
	mux.Handle("GET /{$}", measured("/", workHandler))
	mux.Handle("GET /work", measured("/work", workHandler))
	mux.Handle("GET /dependency", measured("/dependency", handleDependency(podName, dep)))
	mux.Handle("GET /config", measured("/config", handleConfig(config)))
	mux.Handle("GET /hostname", measured("/hostname", handleHostname(podName)))
	mux.Handle("GET /metrics", measured("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})))
	mux.Handle("GET /panic", panicHandler)
	mux.Handle("POST /panic", panicHandler)
	mux.Handle("GET /exit", exitHandler)
	mux.Handle("POST /exit", exitHandler)
}
