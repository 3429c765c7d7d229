package main

import "strings"

// invocation is what the wrapper needs to know about one runc command line.
type invocation struct {
	// command is the runc subcommand ("create", "run", "exec", ...), empty when
	// none was given (for example `runc --version`).
	command string
	// bundle is the --bundle/-b value of create/run; empty means the current
	// directory, as for runc itself.
	bundle string
	// processFile is the --process/-p value of exec; empty when absent.
	processFile string
	// help is true when the subcommand only prints its usage.
	help bool
}

// Flags that take a value, per position. runc parses flags with urfave/cli v1
// (Go's flag package): "-name" and "--name" are equivalent and a value is given
// either as "--name=value" or as the next argument. A flag not listed here is
// taken to be boolean; runc rejects unknown flags itself after the wrapper
// hands over, so guessing wrong can only skip a rewrite, never invent one.
var (
	globalValueFlags = map[string]bool{
		"root": true, "log": true, "log-format": true, "criu": true, "rootless": true,
	}
	createValueFlags = map[string]bool{
		"bundle": true, "b": true, "console-socket": true, "pid-file": true, "preserve-fds": true,
	}
	execValueFlags = map[string]bool{
		"console-socket": true, "cwd": true, "env": true, "e": true, "pid-file": true,
		"process": true, "p": true, "process-label": true, "apparmor": true, "user": true,
		"u": true, "additional-gids": true, "g": true, "cap": true, "c": true,
		"preserve-fds": true, "cgroup": true,
	}
)

// parseInvocation reads a runc argument list (without argv[0]).
func parseInvocation(args []string) invocation {
	var inv invocation
	rest, command := skipFlags(args, globalValueFlags, func(string, string) {})
	if command < 0 {
		return inv
	}
	inv.command = rest[command]
	subArgs := rest[command+1:]

	record := func(name, value string) {
		switch name {
		case "bundle", "b":
			if inv.command == "create" || inv.command == "run" {
				inv.bundle = value
			}
		case "process", "p":
			if inv.command == "exec" {
				inv.processFile = value
			}
		case "help", "h":
			inv.help = true
		}
	}

	switch inv.command {
	case "create", "run":
		// urfave/cli reorders flags placed after the container id, so scan on
		// past positional arguments.
		for len(subArgs) > 0 {
			remaining, positional := skipFlags(subArgs, createValueFlags, record)
			if positional < 0 {
				break
			}
			subArgs = remaining[positional+1:]
		}
	case "exec":
		// Everything after the container id is the command to run in it.
		skipFlags(subArgs, execValueFlags, record)
	}
	return inv
}

// skipFlags walks args from the start, calling record for every flag, until the
// first positional argument. It returns the slice it walked and the index of that
// positional argument in it, or -1 when the flags ran out (or "--" was met and
// nothing followed it).
func skipFlags(args []string, valueFlags map[string]bool, record func(name, value string)) ([]string, int) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return args, i + 1
			}
			return args, -1
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			return args, i
		}
		name := strings.TrimLeft(arg, "-")
		if before, value, hasValue := strings.Cut(name, "="); hasValue {
			record(before, value)
			continue
		}
		if valueFlags[name] {
			value := ""
			if i+1 < len(args) {
				value = args[i+1]
				i++
			}
			record(name, value)
			continue
		}
		record(name, "")
	}
	return args, -1
}
