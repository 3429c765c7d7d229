package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeConfigMapVolume lays out dir the way the kubelet's atomic writer does
// for a ConfigMap volume:
//
//	dir/..<version>/config.yaml   the real file
//	dir/..data -> ..<version>     swapped atomically on every update
//	dir/config.yaml -> ..data/config.yaml
func makeConfigMapVolume(t *testing.T, dir, version string) string {
	t.Helper()
	versioned := "..v_" + version
	if err := os.Mkdir(filepath.Join(dir, versioned), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, versioned, "config.yaml"), "version: \""+version+"\"\ngreeting: hello\n")
	if err := os.Symlink(versioned, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.Symlink(filepath.Join("..data", "config.yaml"), path); err != nil {
		t.Fatal(err)
	}
	return path
}

// updateConfigMapVolume does what the kubelet does on a ConfigMap update:
// write a new versioned directory, point a temporary symlink at it, rename
// that over ..data (atomic), and delete the previous versioned directory.
func updateConfigMapVolume(t *testing.T, dir, previous, content, version string) {
	t.Helper()
	versioned := "..v_" + version
	if err := os.Mkdir(filepath.Join(dir, versioned), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, versioned, "config.yaml"), content)
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(versioned, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..v_"+previous)); err != nil {
		t.Fatal(err)
	}
}

func (s *sample) config() configStatus {
	s.t.Helper()
	_, body := s.get("/config")
	var c configStatus
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		s.t.Fatalf("/config: %v: %q", err, body)
	}
	return c
}

func (s *sample) waitConfigVersion(version string, timeout time.Duration) configStatus {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := s.config()
		if c.Version == version {
			return c
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("config version still %q after %v, want %q; logs:\n%s", c.Version, timeout, version, s.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigMapSwapIsSeenByWatchDirectoryAndMissedByWatchFile(t *testing.T) {
	t.Parallel()
	dirWatcher, fileWatcher := t.TempDir(), t.TempDir()
	dirPath := makeConfigMapVolume(t, dirWatcher, "v1")
	filePath := makeConfigMapVolume(t, fileWatcher, "v1")
	byDirectory := startSample(t, map[string]string{"SAMPLE_CONFIG_FILE": dirPath, "SAMPLE_CONFIG_RELOAD": "watch-directory"})
	byFile := startSample(t, map[string]string{"SAMPLE_CONFIG_FILE": filePath, "SAMPLE_CONFIG_RELOAD": "watch-file"})

	for _, s := range []*sample{byDirectory, byFile} {
		c := s.config()
		if c.Version != "v1" || c.Data["greeting"] != "hello" || c.Reloads != 0 {
			t.Fatalf("initial /config: %+v", c)
		}
	}
	loadedAt := byDirectory.config().LoadedAt

	updateConfigMapVolume(t, dirWatcher, "v1", "version: \"v2\"\ngreeting: hi\n", "v2")
	updateConfigMapVolume(t, fileWatcher, "v1", "version: \"v2\"\ngreeting: hi\n", "v2")

	c := byDirectory.waitConfigVersion("v2", 5*time.Second)
	if c.Reloads != 1 || c.Data["greeting"] != "hi" || !c.LoadedAt.After(loadedAt) || c.ReloadMode != "watch-directory" || c.Source != dirPath {
		t.Errorf("watch-directory after the swap: %+v", c)
	}
	if v := byDirectory.metric(`sample_config_info{version="v2"}`); v != 1 {
		t.Errorf(`sample_config_info{version="v2"} = %v`, v)
	}

	// Give watch-file the same time and more: it must still serve v1.
	time.Sleep(500 * time.Millisecond)
	if c := byFile.config(); c.Version != "v1" || c.Reloads != 0 {
		t.Errorf("watch-file saw the ConfigMap swap (%+v); it is meant to miss it", c)
	}
	// Reading the file now would give v2: only the reload is missing.
	if raw, _ := os.ReadFile(filePath); !strings.Contains(string(raw), "v2") {
		t.Fatalf("test setup: %s does not hold v2: %q", filePath, raw)
	}
	byFile.logs.waitFor(t, "watched config file was removed or replaced; watch-file mode will not see further changes", time.Second)
}

func TestWatchFileSeesWritesToAPlainFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, "version: \"v1\"\n")
	s := startSample(t, map[string]string{"SAMPLE_CONFIG_FILE": path, "SAMPLE_CONFIG_RELOAD": "watch-file"})
	writeFile(t, path, "version: \"v2\"\n")
	if c := s.waitConfigVersion("v2", 5*time.Second); c.Reloads < 1 {
		t.Errorf("reloads %d after an in-place write", c.Reloads)
	}
}

func TestConfigReloadModeNoneNeverReloads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := makeConfigMapVolume(t, dir, "v1")
	s := startSample(t, map[string]string{"SAMPLE_CONFIG_FILE": path})
	updateConfigMapVolume(t, dir, "v1", "version: \"v2\"\n", "v2")
	time.Sleep(300 * time.Millisecond)
	if c := s.config(); c.Version != "v1" || c.ReloadMode != "none" {
		t.Errorf("mode none: %+v", c)
	}
}

func TestBrokenReloadKeepsThePreviousConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := makeConfigMapVolume(t, dir, "v1")
	s := startSample(t, map[string]string{"SAMPLE_CONFIG_FILE": path, "SAMPLE_CONFIG_RELOAD": "watch-directory"})
	updateConfigMapVolume(t, dir, "v1", "greeting: [unclosed\n", "v2")
	deadline := time.Now().Add(5 * time.Second)
	for s.config().ReloadErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no reload error after writing broken YAML")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := s.config()
	if c.Version != "v1" || !strings.Contains(c.LastError, "not a YAML mapping") {
		t.Errorf("after a broken update: %+v", c)
	}
	if v := s.metric("sample_config_reload_errors_total"); v != 1 {
		t.Errorf("sample_config_reload_errors_total = %v", v)
	}
	updateConfigMapVolume(t, dir, "v2", "version: \"v3\"\n", "v3")
	if c := s.waitConfigVersion("v3", 5*time.Second); c.LastError != "" {
		t.Errorf("lastError %q kept after a good reload", c.LastError)
	}
}
