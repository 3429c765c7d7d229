package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics holds every series the service exports, on a registry of its own
// (never the client library's global one), so several instances can live in
// one test process.
type metrics struct {
	registry           *prometheus.Registry
	requestDuration    *prometheus.HistogramVec
	requestsInFlight   prometheus.Gauge
	configInfo         *prometheus.GaugeVec
	configReloads      prometheus.Counter
	configReloadErrors prometheus.Counter
	panics             prometheus.Counter
	leakedBytes        prometheus.Gauge
	warmupBytes        prometheus.Gauge
	dependencyDuration *prometheus.HistogramVec
}

func newMetrics(life *lifecycle) *metrics {
	latencyBuckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sample_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route path and status code.",
			Buckets: latencyBuckets,
		}, []string{"path", "code"}),
		requestsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sample_http_requests_in_flight",
			Help: "HTTP requests being served right now.",
		}),
		configInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sample_config_info",
			Help: "Always 1; the version label is the version key of the loaded config file (empty without one).",
		}, []string{"version"}),
		configReloads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sample_config_reloads_total",
			Help: "Successful reloads of the config file after the initial load.",
		}),
		configReloadErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sample_config_reload_errors_total",
			Help: "Reloads of the config file that failed; the previous config stays in force.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sample_panics_total",
			Help: "Panics: recovered request panics, plus the process panic about to crash it.",
		}),
		leakedBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sample_leaked_bytes",
			Help: "Bytes retained forever by SAMPLE_LEAK_RATE so far.",
		}),
		warmupBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sample_warmup_bytes",
			Help: "Bytes allocated and kept during syncing (SAMPLE_WARMUP_ALLOC).",
		}),
		dependencyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sample_dependency_request_duration_seconds",
			Help:    "Calls to SAMPLE_DEPENDENCY_URL, by path called and outcome (ok or error).",
			Buckets: latencyBuckets,
		}, []string{"path", "outcome"}),
	}
	m.registry.MustRegister(
		m.requestDuration, m.requestsInFlight, m.configInfo, m.configReloads,
		m.configReloadErrors, m.panics, m.leakedBytes, m.warmupBytes, m.dependencyDuration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sample_ready",
			Help: "1 while the process is ready (readiness passes), else 0.",
		}, func() float64 {
			if life.State() == StateReady {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sample_shutdown_duration_seconds",
			Help: "Time spent shutting down: 0 before SIGTERM, growing during drain and shutdown, fixed once done.",
		}, func() float64 { return life.shutdownDuration().Seconds() }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for s := StateStarting; s < stateCount; s++ {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "sample_state",
			Help:        "1 for the lifecycle state the process is in, 0 for the others.",
			ConstLabels: prometheus.Labels{"state": s.String()},
		}, func() float64 {
			if life.State() == s {
				return 1
			}
			return 0
		}))
	}
	return m
}

// setConfigVersion makes version the only value of sample_config_info.
func (m *metrics) setConfigVersion(version string) {
	m.configInfo.Reset()
	m.configInfo.WithLabelValues(version).Set(1)
}
