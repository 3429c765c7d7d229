package main

import (
	"strings"
	"testing"
)

func TestParseInvocation(t *testing.T) {
	tests := []struct {
		args string
		want invocation
	}{
		// Shapes containerd-shim-runc-v2 (go-runc) produces.
		{
			args: "--root /run/docker/runtime-runc/moby --log /run/x/log.json --log-format json --systemd-cgroup create --bundle /run/b/abc --pid-file /run/b/init.pid --console-socket /tmp/s abc",
			want: invocation{command: "create", bundle: "/run/b/abc"},
		},
		{
			args: "--root /r --log /l --log-format json exec --process /tmp/runc-process123 --detach --pid-file /p abc",
			want: invocation{command: "exec", processFile: "/tmp/runc-process123"},
		},
		// Flag spellings Go's flag package accepts.
		{args: "create -b /b1 id", want: invocation{command: "create", bundle: "/b1"}},
		{args: "-root=/r run --bundle=/b2 -d id", want: invocation{command: "run", bundle: "/b2"}},
		{args: "run -bundle /b3 id", want: invocation{command: "run", bundle: "/b3"}},
		{args: "exec -p=/proc.json id", want: invocation{command: "exec", processFile: "/proc.json"}},
		// urfave/cli moves flags written after the container id in front of it.
		{args: "create id --bundle /late", want: invocation{command: "create", bundle: "/late"}},
		// No --bundle: runc uses the current directory.
		{args: "--debug create --pid-file /p id", want: invocation{command: "create"}},
		// A value that looks like a command must not be taken for one.
		{args: "--root create --log exec start id", want: invocation{command: "start"}},
		// exec without --process: words after the id belong to the command run inside.
		{args: "exec -t id ls -p /x", want: invocation{command: "exec"}},
		{args: "exec --cwd /p id cat", want: invocation{command: "exec"}},
		{args: "exec --env A=-p -- id sh", want: invocation{command: "exec"}},
		// --bundle means nothing to exec, --process nothing to create.
		{args: "exec --bundle /b id", want: invocation{command: "exec"}},
		{args: "create --process /p.json id", want: invocation{command: "create"}},
		{args: "create --help", want: invocation{command: "create", help: true}},
		{args: "--version", want: invocation{}},
		{args: "", want: invocation{}},
		{args: "delete --force id", want: invocation{command: "delete"}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got := parseInvocation(strings.Fields(tt.args))
			if got != tt.want {
				t.Fatalf("parseInvocation(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
		})
	}
}
