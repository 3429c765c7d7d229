package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Probe handlers answer text/plain: "ok" with 200, or a one-line reason with
// 503. They all accept GET and HEAD (a GET route in ServeMux serves HEAD too).

// handleLivez answers whether the process should be restarted. In simple mode
// it checks nothing but that the process can serve HTTP, which is what
// liveness should mean. In dependency mode it also requires the dependency's
// /livez to pass: the anti-pattern that turns one failing backend into
// restarts of every client (cascading failure).
func handleLivez(mode string, dep *dependencyClient, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode == livenessDependency {
			if _, _, err := dep.get(r.Context(), "/livez", ""); err != nil {
				logger.Warn("liveness failed because the dependency failed", "dependency", dep.baseURL, "err", err)
				writeProbe(w, http.StatusServiceUnavailable, "not alive: dependency "+dep.baseURL+"/livez failed: "+err.Error())
				return
			}
		}
		writeProbe(w, http.StatusOK, "ok")
	})
}

// readinessCheck is one named condition of /readyz?verbose.
type readinessCheck struct {
	name   string
	failed string // empty when the check passes
}

func readinessChecks(life *lifecycle) []readinessCheck {
	s := life.State()
	synced := readinessCheck{name: "synced"}
	if !life.reached(StateReady) {
		synced.failed = s.String()
	}
	shutdown := readinessCheck{name: "shutdown"}
	if s == StateStopping {
		shutdown.failed = "stopping"
	}
	return []readinessCheck{synced, shutdown}
}

// handleReadyz answers whether the process should get traffic: 200 only in
// state ready, otherwise 503 "not ready: <state>". With ?verbose it lists
// each check in the Kubernetes apiserver's format.
func handleReadyz(life *lifecycle) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := life.State()
		status, summary := http.StatusOK, "ok"
		if s != StateReady {
			status, summary = http.StatusServiceUnavailable, "not ready: "+s.String()
		}
		if !r.URL.Query().Has("verbose") {
			writeProbe(w, status, summary)
			return
		}
		var b strings.Builder
		for _, c := range readinessChecks(life) {
			if c.failed == "" {
				fmt.Fprintf(&b, "[+]%s ok\n", c.name)
			} else {
				fmt.Fprintf(&b, "[-]%s failed: %s\n", c.name, c.failed)
			}
		}
		if status == http.StatusOK {
			b.WriteString("readyz check passed")
		} else {
			b.WriteString("readyz check failed: " + summary)
		}
		writeProbe(w, status, b.String())
	})
}

// handleStartupz answers whether startup finished: 200 once the process
// listened and synced (it reached ready, even if it is stopping now), 503
// before.
func handleStartupz(life *lifecycle) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !life.reached(StateReady) {
			writeProbe(w, http.StatusServiceUnavailable, "not started: "+life.State().String())
			return
		}
		writeProbe(w, http.StatusOK, "ok")
	})
}

func writeProbe(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
