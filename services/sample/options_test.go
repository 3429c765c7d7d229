package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestOptionsDefaultsMatchTheContract(t *testing.T) {
	t.Parallel()
	opts, err := parseOptions([]string{"sample"}, envFunc(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := options{
		Port:              8080,
		GRPCPort:          9090,
		LivenessMode:      "simple",
		DependencyTimeout: time.Second,
		ShutdownMode:      "graceful",
		DrainDelay:        5 * time.Second,
		ShutdownTimeout:   10 * time.Second,
		ConfigReload:      "none",
		LogLevel:          slog.LevelInfo,
	}
	if opts != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", opts, want)
	}
}

func TestOptionsEveryEnvironmentVariableIsRead(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SAMPLE_PORT":               "8081",
		"SAMPLE_GRPC_PORT":          "0",
		"POD_NAME":                  "web-0",
		"SAMPLE_LISTEN_DELAY":       "2s",
		"SAMPLE_SYNC_DURATION":      "1.5s",
		"SAMPLE_WARMUP_ALLOC":       "64Mi",
		"SAMPLE_LIVENESS_MODE":      "dependency",
		"SAMPLE_DEPENDENCY_URL":     "http://backend:8080/",
		"SAMPLE_DEPENDENCY_TIMEOUT": "250ms",
		"SAMPLE_WORK_CPU":           "10ms",
		"SAMPLE_WORK_ALLOC":         "1Ki",
		"SAMPLE_WORK_LATENCY":       "20ms",
		"SAMPLE_WORK_ERROR_RATE":    "0.25",
		"SAMPLE_WORK_PAYLOAD":       "4096",
		"SAMPLE_SHUTDOWN_MODE":      "abrupt",
		"SAMPLE_DRAIN_DELAY":        "7s",
		"SAMPLE_SHUTDOWN_TIMEOUT":   "30s",
		"SAMPLE_EXIT_CODE":          "3",
		"SAMPLE_PANIC_AFTER":        "1m",
		"SAMPLE_LEAK_RATE":          "1Mi",
		"SAMPLE_CONFIG_FILE":        "/etc/sample/config.yaml",
		"SAMPLE_CONFIG_RELOAD":      "watch-directory",
		"SAMPLE_LOG_LEVEL":          "debug",
	}
	opts, err := parseOptions([]string{"sample"}, envFunc(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := options{
		Port: 8081, GRPCPort: 0, PodName: "web-0",
		ListenDelay: 2 * time.Second, SyncDuration: 1500 * time.Millisecond, WarmupAlloc: 64 << 20,
		LivenessMode: "dependency", DependencyURL: "http://backend:8080", DependencyTimeout: 250 * time.Millisecond,
		Work:         workParams{CPU: 10 * time.Millisecond, Alloc: 1024, Latency: 20 * time.Millisecond, ErrorRate: 0.25, Payload: 4096},
		ShutdownMode: "abrupt", DrainDelay: 7 * time.Second, ShutdownTimeout: 30 * time.Second, ExitCode: 3,
		PanicAfter: time.Minute, LeakRate: 1 << 20,
		ConfigFile: "/etc/sample/config.yaml", ConfigReload: "watch-directory", LogLevel: slog.LevelDebug,
	}
	if opts != want {
		t.Fatalf("from env:\n got %+v\nwant %+v", opts, want)
	}
}

func TestOptionsFlagWinsOverEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SAMPLE_LISTEN_DELAY": "9s", "SAMPLE_WORK_PAYLOAD": "1Mi"}
	opts, err := parseOptions([]string{"sample", "-listen-delay", "1s", "--grpc-port=0"}, envFunc(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.ListenDelay != time.Second {
		t.Errorf("flag -listen-delay 1s lost to SAMPLE_LISTEN_DELAY=9s: got %v", opts.ListenDelay)
	}
	if opts.Work.Payload != 1<<20 {
		t.Errorf("SAMPLE_WORK_PAYLOAD without a flag: got %d, want %d", opts.Work.Payload, 1<<20)
	}
	if opts.GRPCPort != 0 {
		t.Errorf("--grpc-port=0: got %d", opts.GRPCPort)
	}
}

func TestOptionsErrorsNameTheVariableValueAndForm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"bad duration in env", nil, map[string]string{"SAMPLE_WORK_CPU": "10"},
			[]string{"SAMPLE_WORK_CPU", `"10"`, "250ms"}},
		{"negative duration", nil, map[string]string{"SAMPLE_DRAIN_DELAY": "-1s"},
			[]string{"SAMPLE_DRAIN_DELAY", "negative"}},
		{"bad size", nil, map[string]string{"SAMPLE_WORK_ALLOC": "64MB"},
			[]string{"SAMPLE_WORK_ALLOC", `"64MB"`, "64Mi"}},
		{"bad fraction", nil, map[string]string{"SAMPLE_WORK_ERROR_RATE": "5%"},
			[]string{"SAMPLE_WORK_ERROR_RATE", "0 to 1"}},
		{"fraction above one", nil, map[string]string{"SAMPLE_WORK_ERROR_RATE": "1.5"},
			[]string{"SAMPLE_WORK_ERROR_RATE", "0 to 1"}},
		{"bad mode", nil, map[string]string{"SAMPLE_SHUTDOWN_MODE": "polite"},
			[]string{"SAMPLE_SHUTDOWN_MODE", `"polite"`, "graceful, abrupt, ignore"}},
		{"bad port", nil, map[string]string{"SAMPLE_PORT": "70000"},
			[]string{"SAMPLE_PORT", "0 to 65535"}},
		{"bad exit code", nil, map[string]string{"SAMPLE_EXIT_CODE": "256"},
			[]string{"SAMPLE_EXIT_CODE", "0 to 255"}},
		{"relative dependency url", nil, map[string]string{"SAMPLE_DEPENDENCY_URL": "backend:8080"},
			[]string{"SAMPLE_DEPENDENCY_URL", "http://backend:8080"}},
		{"all bad variables are reported together", nil, map[string]string{"SAMPLE_WORK_CPU": "x", "SAMPLE_LEAK_RATE": "y"},
			[]string{"SAMPLE_WORK_CPU", "SAMPLE_LEAK_RATE"}},
		{"dependency liveness needs a URL", nil, map[string]string{"SAMPLE_LIVENESS_MODE": "dependency"},
			[]string{"SAMPLE_LIVENESS_MODE=dependency", "SAMPLE_DEPENDENCY_URL"}},
		{"reload needs a file", nil, map[string]string{"SAMPLE_CONFIG_RELOAD": "watch-file"},
			[]string{"SAMPLE_CONFIG_RELOAD=watch-file", "SAMPLE_CONFIG_FILE"}},
		{"same port twice", nil, map[string]string{"SAMPLE_PORT": "9000", "SAMPLE_GRPC_PORT": "9000"},
			[]string{"SAMPLE_GRPC_PORT", "SAMPLE_PORT", "9000"}},
		{"bad flag", []string{"-work-latency", "soon"}, nil,
			[]string{"-work-latency", `"soon"`, "1.5s"}},
		{"positional argument", []string{"serve"}, nil,
			[]string{"unexpected arguments", "serve"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseOptions(append([]string{"sample"}, tc.args...), envFunc(tc.env), io.Discard)
			if err == nil {
				t.Fatal("want an error, got none")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestByteSizes(t *testing.T) {
	t.Parallel()
	good := map[string]int64{
		"0": 0, "1": 1, "1048576": 1 << 20, "1Ki": 1 << 10, "64Mi": 64 << 20, "2Gi": 2 << 30, "1Ti": 1 << 40,
	}
	for in, want := range good {
		got, err := parseByteSize(in)
		if err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, _ := parseByteSize(formatByteSize(want)); back != want {
			t.Errorf("formatByteSize(%d) = %q does not parse back", want, formatByteSize(want))
		}
	}
	for _, in := range []string{"", "Mi", "-1", "1.5Mi", "64MB", "64M", "64 Mi", "1Ei", "9223372036854775808", "8388608Ti"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
	if got := formatByteSize(1536); got != "1536" {
		t.Errorf("formatByteSize(1536) = %q, want 1536 (no exact suffix)", got)
	}
}
