package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"gopkg.in/yaml.v3"
)

// configSnapshot is one successful load of the config file.
type configSnapshot struct {
	Version  string
	Data     map[string]any // every top-level key, version included
	LoadedAt time.Time
}

// configStore holds the config in force and how it got there. Without a
// config file it holds an empty version and never reloads.
type configStore struct {
	path    string
	mode    string
	metrics *metrics
	logger  *slog.Logger
	now     func() time.Time

	mu           sync.RWMutex
	current      configSnapshot
	reloads      int
	reloadErrors int
	lastError    string
}

// newConfigStore loads path once (if set) and fails if that load fails: a
// process with an unreadable config should crash at start, not run on defaults.
func newConfigStore(path, mode string, m *metrics, logger *slog.Logger, now func() time.Time) (*configStore, error) {
	s := &configStore{path: path, mode: mode, metrics: m, logger: logger, now: now}
	s.current = configSnapshot{Data: map[string]any{}, LoadedAt: now()}
	if path != "" {
		snap, err := loadConfigFile(path, now)
		if err != nil {
			return nil, err
		}
		s.current = snap
		logger.Info("config loaded", "path", path, "version", snap.Version, "reloadMode", mode)
	}
	m.setConfigVersion(s.current.Version)
	return s, nil
}

// loadConfigFile reads a YAML mapping that must have a string key version.
func loadConfigFile(path string, now func() time.Time) (configSnapshot, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return configSnapshot{}, fmt.Errorf("config file %s: %w", path, err)
	}
	var data map[string]any
	if err := yaml.Unmarshal(raw, &data); err != nil {
		return configSnapshot{}, fmt.Errorf("config file %s: not a YAML mapping (want e.g. `version: \"v1\"`): %w", path, err)
	}
	v, ok := data["version"]
	if !ok {
		return configSnapshot{}, fmt.Errorf("config file %s: missing top-level key version; add e.g. `version: \"v1\"`", path)
	}
	version, ok := v.(string)
	if !ok || version == "" {
		return configSnapshot{}, fmt.Errorf("config file %s: version is %T %v, want a non-empty string; quote it, e.g. `version: \"%v\"`", path, v, v, v)
	}
	return configSnapshot{Version: version, Data: jsonCompatible(data).(map[string]any), LoadedAt: now()}, nil
}

// jsonCompatible turns the map[any]any that YAML produces for non-string
// keys into map[string]any, so /config can always encode the data.
func jsonCompatible(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = jsonCompatible(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(k)] = jsonCompatible(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonCompatible(e)
		}
		return out
	}
	return v
}

// Snapshot returns the config in force.
func (s *configStore) Snapshot() configSnapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

// Version returns the version of the config in force.
func (s *configStore) Version() string { return s.Snapshot().Version }

// configStatus is the body of GET /config.
type configStatus struct {
	Version      string         `json:"version"`
	LoadedAt     time.Time      `json:"loadedAt"`
	Reloads      int            `json:"reloads"`
	ReloadErrors int            `json:"reloadErrors"`
	LastError    string         `json:"lastError,omitempty"`
	Source       string         `json:"source"`
	ReloadMode   string         `json:"reloadMode"`
	Data         map[string]any `json:"data"`
}

// Status describes the config in force and its reload history.
func (s *configStore) Status() configStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	source := s.path
	if source == "" {
		source = "none"
	}
	return configStatus{
		Version:      s.current.Version,
		LoadedAt:     s.current.LoadedAt,
		Reloads:      s.reloads,
		ReloadErrors: s.reloadErrors,
		LastError:    s.lastError,
		Source:       source,
		ReloadMode:   s.mode,
		Data:         s.current.Data,
	}
}

// reload reads the file again. On failure the previous config stays in force
// and the error is counted and kept for /config.
func (s *configStore) reload(trigger string) {
	snap, err := loadConfigFile(s.path, s.now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.reloadErrors++
		s.lastError = err.Error()
		s.metrics.configReloadErrors.Inc()
		s.logger.Error("config reload failed; keeping the previous config", "trigger", trigger, "version", s.current.Version, "err", err)
		return
	}
	previous := s.current.Version
	s.current = snap
	s.reloads++
	s.lastError = ""
	s.metrics.configReloads.Inc()
	s.metrics.setConfigVersion(snap.Version)
	s.logger.Info("config reloaded", "trigger", trigger, "previousVersion", previous, "version", snap.Version)
}

// watch starts watching according to the reload mode and returns once the
// watch is in place; the watching goroutine ends with ctx.
//
// watch-file watches the path itself, as many applications do, and reloads
// when the watched file is written. inotify resolves the symlinks of a
// ConfigMap volume (config.yaml -> ..data/config.yaml -> ..<timestamp>/config.yaml)
// when the watch is added, so it watches the file inside the old timestamped
// directory. The kubelet never writes that file: it writes a new timestamped
// directory, swaps the ..data symlink with a rename, and deletes the old
// directory. The watched file sees no write, only a link-count change and its
// removal, after which the watch is gone. So watch-file misses every ConfigMap update, on purpose.
//
// watch-directory watches the directory holding the path and reloads when an
// entry named ..data is created (the kubelet's atomic swap, a rename onto
// ..data) or when an entry with the config file's own name is created or
// written (plain directories, editors that rename over the file).
func (s *configStore) watch(ctx context.Context) error {
	if s.mode == reloadNone || s.path == "" {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("config reload %s: %w", s.mode, err)
	}
	target := s.path
	if s.mode == reloadWatchDirectory {
		target = filepath.Dir(s.path)
	}
	if err := w.Add(target); err != nil {
		w.Close()
		return fmt.Errorf("config reload %s: cannot watch %s: %w", s.mode, target, err)
	}
	s.logger.Info("watching config", "mode", s.mode, "watched", target)
	go func() {
		defer w.Close()
		// Writers emit bursts of events (truncate, then write; the kubelet's
		// several renames). Reloading once, a short quiet time after the last
		// relevant event, avoids reading a half-written file.
		debounce := time.NewTimer(time.Hour)
		debounce.Stop()
		trigger := ""
		for {
			select {
			case <-ctx.Done():
				debounce.Stop()
				return
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.logger.Error("config watch error", "mode", s.mode, "err", err)
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if s.triggersReload(ev) {
					trigger = ev.String()
					debounce.Reset(reloadDebounce)
				}
			case <-debounce.C:
				s.reload(trigger)
			}
		}
	}()
	return nil
}

// reloadDebounce is the quiet time after a relevant event before reloading.
const reloadDebounce = 50 * time.Millisecond

// triggersReload reports whether ev should cause a reload in this mode.
func (s *configStore) triggersReload(ev fsnotify.Event) bool {
	s.logger.Debug("config watch event", "mode", s.mode, "event", ev.String())
	switch s.mode {
	case reloadWatchFile:
		if ev.Has(fsnotify.Write) || ev.Has(fsnotify.Create) {
			return true
		}
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			s.logger.Warn("watched config file was removed or replaced; watch-file mode will not see further changes", "event", ev.String())
		}
	case reloadWatchDirectory:
		name := filepath.Base(ev.Name)
		if name == "..data" && ev.Has(fsnotify.Create) {
			return true
		}
		if name == filepath.Base(s.path) && (ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write)) {
			return true
		}
	}
	return false
}
