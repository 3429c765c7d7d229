package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const statusWithoutSysResource = "Name:\trunc\nCapBnd:\t000001fffeffffff\n"

func fixedStatus(status string) func() (string, error) {
	return func() (string, error) { return status, nil }
}

func envWith(values map[string]string) func(string) string {
	return func(key string) string { return values[key] }
}

// fakeRunc creates an executable file standing in for the real runc; run only
// stats it, the exec happens in main.
func fakeRunc(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runc")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunRewritesBundleConfigOnCreate(t *testing.T) {
	bundle := t.TempDir()
	config := filepath.Join(bundle, "config.json")
	spec := `{"process":{"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_SYS_ADMIN"],"ambient":["CAP_SYS_RESOURCE"]}}}`
	if err := os.WriteFile(config, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	runc := fakeRunc(t)

	target, err := run([]string{"--root", "/r", "create", "--bundle", bundle, "id"},
		envWith(map[string]string{"PROBELAB_REAL_RUNC": runc}), fixedStatus(statusWithoutSysResource))
	if err != nil {
		t.Fatal(err)
	}
	if target != runc {
		t.Fatalf("target = %q, want %q", target, runc)
	}
	got, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"process":{"capabilities":{"ambient":[],"bounding":["CAP_SYS_ADMIN"]}}}`; string(got) != want {
		t.Fatalf("config.json = %s, want %s", got, want)
	}
	info, err := os.Stat(config)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(bundle)
	if len(entries) != 1 {
		t.Fatalf("bundle holds leftovers: %v", entries)
	}
}

func TestRunUsesWorkingDirectoryWithoutBundleFlag(t *testing.T) {
	bundle := t.TempDir()
	t.Chdir(bundle)
	if err := os.WriteFile("config.json", []byte(`{"process":{"capabilities":{"effective":["CAP_SYS_RESOURCE"]}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	realRunc := fakeRunc(t)
	if _, err := run([]string{"run", "id"}, envWith(map[string]string{"PROBELAB_REAL_RUNC": realRunc}), fixedStatus(statusWithoutSysResource)); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	if string(got) != `{"process":{"capabilities":{"effective":[]}}}` {
		t.Fatalf("config.json = %s", got)
	}
}

func TestRunRewritesExecProcessFile(t *testing.T) {
	processFile := filepath.Join(t.TempDir(), "process.json")
	if err := os.WriteFile(processFile, []byte(`{"args":["sh"],"capabilities":{"permitted":["CAP_KILL","CAP_SYS_RESOURCE"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	realRunc := fakeRunc(t)
	if _, err := run([]string{"exec", "--process", processFile, "--detach", "id"},
		envWith(map[string]string{"PROBELAB_REAL_RUNC": realRunc}), fixedStatus(statusWithoutSysResource)); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(processFile)
	if string(got) != `{"args":["sh"],"capabilities":{"permitted":["CAP_KILL"]}}` {
		t.Fatalf("process file = %s", got)
	}
}

func TestRunLeavesOtherCommandsAndMissingFilesAlone(t *testing.T) {
	realRunc := fakeRunc(t)
	statusRead := false
	readStatus := func() (string, error) { statusRead = true; return statusWithoutSysResource, nil }
	env := envWith(map[string]string{"PROBELAB_REAL_RUNC": realRunc})

	for _, args := range [][]string{{"state", "id"}, {"delete", "--force", "id"}, {"exec", "-t", "id", "sh"}, {"create", "--help"}} {
		if _, err := run(args, env, readStatus); err != nil {
			t.Fatalf("run(%v): %v", args, err)
		}
	}
	if statusRead {
		t.Fatal("read the bounding set for a command that needs no rewrite")
	}
	if _, err := run([]string{"create", "--bundle", filepath.Join(t.TempDir(), "absent"), "id"}, env, readStatus); err != nil {
		t.Fatalf("a missing bundle must be left for runc to report, got %v", err)
	}
}

func TestRunReportsBrokenConfig(t *testing.T) {
	bundle := t.TempDir()
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte(`{"process":`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run([]string{"create", "-b", bundle, "id"}, envWith(map[string]string{"PROBELAB_REAL_RUNC": fakeRunc(t)}), fixedStatus(statusWithoutSysResource))
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("error = %v, want one naming config.json", err)
	}
}

func TestResolveRealRunc(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	realRunc := fakeRunc(t)
	tests := []struct {
		name       string
		env        map[string]string
		wantErrHas string
	}{
		{name: "environment wins", env: map[string]string{"PROBELAB_REAL_RUNC": realRunc}},
		{name: "nothing configured", env: map[string]string{}, wantErrHas: "no real runc configured"},
		{name: "relative path", env: map[string]string{"PROBELAB_REAL_RUNC": "runc"}, wantErrHas: "must be absolute"},
		{name: "absent file", env: map[string]string{"PROBELAB_REAL_RUNC": "/nonexistent/runc"}, wantErrHas: "/nonexistent/runc"},
		{name: "pointing at itself", env: map[string]string{"PROBELAB_REAL_RUNC": self}, wantErrHas: "this wrapper itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveRealRunc(envWith(tt.env))
			if tt.wantErrHas == "" {
				if err != nil || got != realRunc {
					t.Fatalf("resolveRealRunc() = %q, %v; want %q", got, err, realRunc)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErrHas) {
				t.Fatalf("resolveRealRunc() error = %v, want one containing %q", err, tt.wantErrHas)
			}
		})
	}
}
