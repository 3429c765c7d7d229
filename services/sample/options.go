package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Liveness, shutdown and config-reload modes. The strings are part of the
// contract with the harness, which sets them through environment variables.
const (
	livenessSimple     = "simple"
	livenessDependency = "dependency"

	shutdownGraceful = "graceful"
	shutdownAbrupt   = "abrupt"
	shutdownIgnore   = "ignore"

	reloadNone           = "none"
	reloadWatchFile      = "watch-file"
	reloadWatchDirectory = "watch-directory"
)

// options is the whole configuration of one sample process. Every field comes
// from a flag, and every flag falls back to an environment variable (see
// parseOptions), so Kubernetes manifests can configure it with env alone.
type options struct {
	Port              int
	GRPCPort          int
	PodName           string
	ListenDelay       time.Duration
	SyncDuration      time.Duration
	WarmupAlloc       int64
	LivenessMode      string
	DependencyURL     string
	DependencyTimeout time.Duration
	Work              workParams
	ShutdownMode      string
	DrainDelay        time.Duration
	ShutdownTimeout   time.Duration
	ExitCode          int
	PanicAfter        time.Duration
	LeakRate          int64
	ConfigFile        string
	ConfigReload      string
	LogLevel          slog.Level
}

// parseOptions reads flags from args (args[0] is the program name) and, for
// every flag not given on the command line, the environment variable bound to
// it. A flag given on the command line wins over its environment variable.
// Errors name the flag or variable, the value and the accepted form.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	opts := options{
		Port:              8080,
		GRPCPort:          9090,
		LivenessMode:      livenessSimple,
		DependencyTimeout: time.Second,
		ShutdownMode:      shutdownGraceful,
		DrainDelay:        5 * time.Second,
		ShutdownTimeout:   10 * time.Second,
		ConfigReload:      reloadNone,
		LogLevel:          slog.LevelInfo,
	}
	name := "sample"
	if len(args) > 0 {
		name = args[0]
		args = args[1:]
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	envOf := map[string]string{}
	// bind registers a flag and the environment variable behind it. The
	// back-quoted kind names the value's form in -h output (flag.UnquoteUsage).
	bind := func(flagName, envName string, value optionValue, usage string) {
		envOf[flagName] = envName
		fs.Var(value, flagName, usage+" (env "+envName+", `"+value.kind()+"`)")
	}

	bind("port", "SAMPLE_PORT", portValue{&opts.Port}, "HTTP port; 0 picks a free port (the address is logged)")
	bind("grpc-port", "SAMPLE_GRPC_PORT", portValue{&opts.GRPCPort}, "gRPC health port; 0 disables the gRPC server")
	bind("pod-name", "POD_NAME", stringValue{&opts.PodName}, "name reported in X-Pod-Name and /hostname; empty means the OS hostname")
	bind("listen-delay", "SAMPLE_LISTEN_DELAY", durationValue{&opts.ListenDelay}, "sleep this long before opening any port")
	bind("sync-duration", "SAMPLE_SYNC_DURATION", durationValue{&opts.SyncDuration}, "after listening, stay in state syncing (not ready) this long")
	bind("warmup-alloc", "SAMPLE_WARMUP_ALLOC", byteSizeValue{&opts.WarmupAlloc}, "bytes allocated, touched and kept while syncing")
	bind("liveness-mode", "SAMPLE_LIVENESS_MODE", enumValue{&opts.LivenessMode, []string{livenessSimple, livenessDependency}}, "simple: /livez checks only this process; dependency: /livez also calls the dependency's /livez (an anti-pattern)")
	bind("dependency-url", "SAMPLE_DEPENDENCY_URL", urlValue{&opts.DependencyURL}, "base URL of another sample instance, e.g. http://backend:8080")
	bind("dependency-timeout", "SAMPLE_DEPENDENCY_TIMEOUT", durationValue{&opts.DependencyTimeout}, "timeout of each call to the dependency")
	bind("work-cpu", "SAMPLE_WORK_CPU", durationValue{&opts.Work.CPU}, "thread CPU time burned per /work request")
	bind("work-alloc", "SAMPLE_WORK_ALLOC", byteSizeValue{&opts.Work.Alloc}, "bytes allocated per /work request")
	bind("work-latency", "SAMPLE_WORK_LATENCY", durationValue{&opts.Work.Latency}, "sleep added to each /work request")
	bind("work-error-rate", "SAMPLE_WORK_ERROR_RATE", fractionValue{&opts.Work.ErrorRate}, "fraction (0..1) of /work requests answered 500")
	bind("work-payload", "SAMPLE_WORK_PAYLOAD", byteSizeValue{&opts.Work.Payload}, "size of the /work response body in bytes")
	bind("shutdown-mode", "SAMPLE_SHUTDOWN_MODE", enumValue{&opts.ShutdownMode, []string{shutdownGraceful, shutdownAbrupt, shutdownIgnore}}, "what SIGTERM/SIGINT does: graceful, abrupt or ignore")
	bind("drain-delay", "SAMPLE_DRAIN_DELAY", durationValue{&opts.DrainDelay}, "graceful mode: time between failing readiness and closing the listener")
	bind("shutdown-timeout", "SAMPLE_SHUTDOWN_TIMEOUT", durationValue{&opts.ShutdownTimeout}, "graceful mode: how long in-flight requests may take to finish before they are cut")
	bind("exit-code", "SAMPLE_EXIT_CODE", exitCodeValue{&opts.ExitCode}, "process exit code after a signal-triggered shutdown (0..255)")
	bind("panic-after", "SAMPLE_PANIC_AFTER", durationValue{&opts.PanicAfter}, "crash the process with a panic this long after start; 0 never")
	bind("leak-rate", "SAMPLE_LEAK_RATE", byteSizeValue{&opts.LeakRate}, "bytes per second allocated and retained forever")
	bind("config-file", "SAMPLE_CONFIG_FILE", stringValue{&opts.ConfigFile}, "YAML file with a top-level string key version")
	bind("config-reload", "SAMPLE_CONFIG_RELOAD", enumValue{&opts.ConfigReload, []string{reloadNone, reloadWatchFile, reloadWatchDirectory}}, "none, watch-file (misses ConfigMap updates) or watch-directory")
	bind("log-level", "SAMPLE_LOG_LEVEL", logLevelValue{&opts.LogLevel}, "debug (adds one line per request), info, warn or error")

	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q: sample takes flags only (see -h)", fs.Args())
	}

	setOnCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setOnCommandLine[f.Name] = true })
	var envErrs []error
	fs.VisitAll(func(f *flag.Flag) {
		if setOnCommandLine[f.Name] {
			return
		}
		envName := envOf[f.Name]
		raw := getenv(envName)
		if raw == "" {
			return
		}
		if err := f.Value.Set(raw); err != nil {
			envErrs = append(envErrs, fmt.Errorf("invalid value %q for environment variable %s (flag -%s): %w", raw, envName, f.Name, err))
		}
	})
	if err := errors.Join(envErrs...); err != nil {
		return options{}, err
	}
	if err := opts.validate(); err != nil {
		return options{}, err
	}
	return opts, nil
}

// validate checks rules that involve more than one option.
func (o options) validate() error {
	var errs []error
	if o.LivenessMode == livenessDependency && o.DependencyURL == "" {
		errs = append(errs, errors.New("SAMPLE_LIVENESS_MODE=dependency needs SAMPLE_DEPENDENCY_URL (flag -dependency-url), e.g. http://backend:8080"))
	}
	if o.ConfigReload != reloadNone && o.ConfigFile == "" {
		errs = append(errs, fmt.Errorf("SAMPLE_CONFIG_RELOAD=%s needs SAMPLE_CONFIG_FILE (flag -config-file); set it or use SAMPLE_CONFIG_RELOAD=none", o.ConfigReload))
	}
	if o.DependencyTimeout <= 0 {
		errs = append(errs, errors.New("SAMPLE_DEPENDENCY_TIMEOUT must be greater than 0, e.g. 1s"))
	}
	if o.GRPCPort != 0 && o.GRPCPort == o.Port {
		errs = append(errs, fmt.Errorf("SAMPLE_GRPC_PORT and SAMPLE_PORT are both %d; give them different ports or set SAMPLE_GRPC_PORT=0", o.Port))
	}
	return errors.Join(errs...)
}

// optionValue is a flag.Value that can name its form for -h.
type optionValue interface {
	flag.Value
	kind() string
}

// The optionValue types below hold a pointer into options. Their Set errors
// describe the accepted form without repeating the value: the flag package
// and parseOptions already print it next to the flag or variable name.

type stringValue struct{ p *string }

func (stringValue) kind() string { return "string" }
func (v stringValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v stringValue) Set(s string) error { *v.p = s; return nil }

type durationValue struct{ p *time.Duration }

func (durationValue) kind() string { return "duration" }
func (v durationValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}
func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.p = d
	return nil
}

type byteSizeValue struct{ p *int64 }

func (byteSizeValue) kind() string { return "bytes" }
func (v byteSizeValue) String() string {
	if v.p == nil {
		return "0"
	}
	return formatByteSize(*v.p)
}
func (v byteSizeValue) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

type fractionValue struct{ p *float64 }

func (fractionValue) kind() string { return "fraction" }
func (v fractionValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*v.p, 'g', -1, 64)
}
func (v fractionValue) Set(s string) error {
	f, err := parseFraction(s)
	if err != nil {
		return err
	}
	*v.p = f
	return nil
}

type portValue struct{ p *int }

func (portValue) kind() string { return "port" }
func (v portValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}
func (v portValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("not a port; use a whole number from 0 to 65535")
	}
	*v.p = n
	return nil
}

type exitCodeValue struct{ p *int }

func (exitCodeValue) kind() string { return "code" }
func (v exitCodeValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}
func (v exitCodeValue) Set(s string) error {
	n, err := parseExitCode(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

type enumValue struct {
	p       *string
	allowed []string
}

func (enumValue) kind() string { return "mode" }
func (v enumValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v enumValue) Set(s string) error {
	for _, a := range v.allowed {
		if s == a {
			*v.p = s
			return nil
		}
	}
	return fmt.Errorf("use one of %s", strings.Join(v.allowed, ", "))
}

type urlValue struct{ p *string }

func (urlValue) kind() string { return "url" }
func (v urlValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v urlValue) Set(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an absolute http(s) URL; use a form like http://backend:8080")
	}
	*v.p = strings.TrimRight(s, "/")
	return nil
}

type logLevelValue struct{ p *slog.Level }

func (logLevelValue) kind() string { return "level" }
func (v logLevelValue) String() string {
	if v.p == nil {
		return "INFO"
	}
	return v.p.String()
}
func (v logLevelValue) Set(s string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return errors.New("use one of debug, info, warn, error")
	}
	*v.p = l
	return nil
}

// parseDuration accepts a non-negative Go duration such as 250ms or 1.5s.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a Go duration; use a form like 250ms, 1.5s or 2m")
	}
	if d < 0 {
		return 0, errors.New("negative duration; use 0 or more, e.g. 250ms")
	}
	return d, nil
}

// parseByteSize accepts plain bytes ("1048576") or a binary suffix Ki, Mi,
// Gi or Ti ("64Mi"), the subset of Kubernetes quantities that names bytes
// exactly.
func parseByteSize(s string) (int64, error) {
	const form = "not a byte size; use plain bytes (1048576) or a Ki/Mi/Gi suffix (64Mi)"
	digits, shift := s, uint(0)
	for suffix, bits := range map[string]uint{"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40} {
		if strings.HasSuffix(s, suffix) {
			digits, shift = strings.TrimSuffix(s, suffix), bits
			break
		}
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, errors.New(form)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, errors.New("byte size too large; use at most 8Ei-1 bytes")
	}
	if n > math.MaxInt64>>shift {
		return 0, errors.New("byte size too large; use at most 8Ei-1 bytes")
	}
	return n << shift, nil
}

// formatByteSize is the inverse of parseByteSize, using the largest exact suffix.
func formatByteSize(n int64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"Ti", 40}, {"Gi", 30}, {"Mi", 20}, {"Ki", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// parseFraction accepts a number from 0 to 1 inclusive, e.g. 0.05.
func parseFraction(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, errors.New("not a fraction; use a number from 0 to 1, e.g. 0.05")
	}
	return f, nil
}

// parseExitCode accepts a process exit code from 0 to 255.
func parseExitCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, errors.New("not an exit code; use a whole number from 0 to 255")
	}
	return n, nil
}
