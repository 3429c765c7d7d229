// Command runc-wrapper is the default OCI runtime of the Docker engine that
// clusters/engine/ensure-engine.sh starts. It removes from a container's
// requested capabilities every capability the host's bounding set lacks, then
// execs the real runc with the unchanged argument list. See ../README.md.
//
// It prints nothing on success: for `runc create`/`runc run` its stdio is the
// container's stdio, so any output would end up in the container's logs.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// realRuncPath is the runc to exec, fixed at build time with
// -ldflags "-X main.realRuncPath=/usr/sbin/runc". The environment variable
// PROBELAB_REAL_RUNC overrides it.
var realRuncPath string

func main() {
	target, err := run(os.Args[1:], os.Getenv, readOwnStatus)
	if err != nil {
		fmt.Fprintf(os.Stderr, "probelab runc-wrapper: %v\n", err)
		os.Exit(1)
	}
	argv := append([]string{target}, os.Args[1:]...)
	err = syscall.Exec(target, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "probelab runc-wrapper: exec %s: %v\n", target, err)
	os.Exit(1)
}

func readOwnStatus() (string, error) {
	status, err := os.ReadFile("/proc/self/status")
	return string(status), err
}

// run rewrites the capability lists the runc command line points at and
// returns the path of the real runc to exec.
func run(args []string, getenv func(string) string, readStatus func() (string, error)) (string, error) {
	target, err := resolveRealRunc(getenv)
	if err != nil {
		return "", err
	}
	inv := parseInvocation(args)
	if inv.help {
		return target, nil
	}

	var (
		path    string
		rewrite func([]byte, map[string]bool) ([]byte, []string, error)
	)
	switch {
	case inv.command == "create" || inv.command == "run":
		bundle := inv.bundle
		if bundle == "" {
			bundle = "."
		}
		path, rewrite = filepath.Join(bundle, "config.json"), restrictSpecCapabilities
	case inv.command == "exec" && inv.processFile != "":
		path, rewrite = inv.processFile, restrictProcessCapabilities
	default:
		return target, nil
	}

	status, err := readStatus()
	if err != nil {
		return "", fmt.Errorf("reading the capability bounding set: %w", err)
	}
	boundingSet, err := parseBoundingSet(status)
	if err != nil {
		return "", err
	}
	if err := rewriteFile(path, missingCapabilities(boundingSet), rewrite); err != nil {
		return "", err
	}
	return target, nil
}

// resolveRealRunc picks the runc to exec and refuses to pick the wrapper itself,
// which would loop forever.
func resolveRealRunc(getenv func(string) string) (string, error) {
	target, source := getenv("PROBELAB_REAL_RUNC"), "PROBELAB_REAL_RUNC"
	if target == "" {
		target, source = realRuncPath, "the build-time default (-X main.realRuncPath)"
	}
	if target == "" {
		return "", errors.New("no real runc configured: set PROBELAB_REAL_RUNC=/path/to/runc or build with -ldflags '-X main.realRuncPath=/path/to/runc'")
	}
	if !filepath.IsAbs(target) {
		return "", fmt.Errorf("real runc path %q from %s must be absolute", target, source)
	}
	targetInfo, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("real runc %q from %s: %w", target, source, err)
	}
	self, err := os.Executable()
	if err == nil {
		if selfInfo, statErr := os.Stat(self); statErr == nil && os.SameFile(selfInfo, targetInfo) {
			return "", fmt.Errorf("real runc %q from %s is this wrapper itself; point it at the runc binary", target, source)
		}
	}
	return target, nil
}

// rewriteFile applies rewrite to the JSON file at path and replaces the file
// atomically when something was removed. A missing file is left for runc to
// report in its own words.
func rewriteFile(path string, missing map[string]bool, rewrite func([]byte, map[string]bool) ([]byte, []string, error)) error {
	original, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	rewritten, removed, err := rewrite(original, missing)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(removed) == 0 {
		return nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	temp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".probelab-*")
	if err != nil {
		return err
	}
	defer os.Remove(temp.Name())
	if _, err := temp.Write(rewritten); err != nil {
		temp.Close()
		return err
	}
	if err := temp.Chmod(info.Mode().Perm()); err != nil {
		temp.Close()
		return err
	}
	if err := temp.Close(); err != nil {
		return err
	}
	return os.Rename(temp.Name(), path)
}
