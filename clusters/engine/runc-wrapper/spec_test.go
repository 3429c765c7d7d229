package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

var withoutSysResource = map[string]bool{"CAP_SYS_RESOURCE": true}

func TestRestrictSpecCapabilities(t *testing.T) {
	tests := []struct {
		name        string
		spec        string
		missing     map[string]bool
		wantRemoved []string
		// wantSets is the expected process.capabilities; nil means the output
		// must equal the input byte for byte.
		wantSets map[string][]string
	}{
		{
			name: "privileged container loses CAP_SYS_RESOURCE in all five sets",
			spec: `{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],
				"capabilities":{
				"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE","CAP_SYS_ADMIN"],
				"effective":["CAP_CHOWN","CAP_SYS_RESOURCE","CAP_SYS_ADMIN"],
				"inheritable":["CAP_SYS_RESOURCE"],
				"permitted":["CAP_CHOWN","CAP_SYS_RESOURCE","CAP_SYS_ADMIN"],
				"ambient":["CAP_SYS_RESOURCE","CAP_NET_ADMIN"]}}}`,
			missing:     withoutSysResource,
			wantRemoved: []string{"CAP_SYS_RESOURCE"},
			wantSets: map[string][]string{
				"bounding":    {"CAP_CHOWN", "CAP_SYS_ADMIN"},
				"effective":   {"CAP_CHOWN", "CAP_SYS_ADMIN"},
				"inheritable": {},
				"permitted":   {"CAP_CHOWN", "CAP_SYS_ADMIN"},
				"ambient":     {"CAP_NET_ADMIN"},
			},
		},
		{
			name: "several missing capabilities, absent sets stay absent",
			spec: `{"process":{"capabilities":{"bounding":["CAP_BPF","CAP_KILL","CAP_PERFMON"],
				"effective":["CAP_KILL","CAP_BPF"]}}}`,
			missing:     map[string]bool{"CAP_BPF": true, "CAP_PERFMON": true},
			wantRemoved: []string{"CAP_BPF", "CAP_PERFMON"},
			wantSets: map[string][]string{
				"bounding":  {"CAP_KILL"},
				"effective": {"CAP_KILL"},
			},
		},
		{
			name:        "default unprivileged set is untouched",
			spec:        `{"process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN"]}}}`,
			missing:     withoutSysResource,
			wantRemoved: nil,
		},
		{
			name:        "host with every capability changes nothing",
			spec:        `{"process":{"capabilities":{"bounding":["CAP_SYS_RESOURCE"]}}}`,
			missing:     map[string]bool{},
			wantRemoved: nil,
		},
		{
			name:        "no process",
			spec:        `{"ociVersion":"1.0.2","root":{"path":"rootfs"}}`,
			missing:     withoutSysResource,
			wantRemoved: nil,
		},
		{
			name:        "null capabilities",
			spec:        `{"process":{"args":["sh"],"capabilities":null}}`,
			missing:     withoutSysResource,
			wantRemoved: nil,
		},
		{
			name:        "lower-case name is matched and removed",
			spec:        `{"process":{"capabilities":{"bounding":["cap_sys_resource","CAP_KILL"]}}}`,
			missing:     withoutSysResource,
			wantRemoved: []string{"CAP_SYS_RESOURCE"},
			wantSets:    map[string][]string{"bounding": {"CAP_KILL"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, removed, err := restrictSpecCapabilities([]byte(tt.spec), tt.missing)
			if err != nil {
				t.Fatalf("restrictSpecCapabilities() error = %v", err)
			}
			if !slices.Equal(removed, tt.wantRemoved) {
				t.Fatalf("removed = %v, want %v", removed, tt.wantRemoved)
			}
			if tt.wantSets == nil {
				if string(out) != tt.spec {
					t.Fatalf("spec changed although nothing was removed:\n got %s\nwant %s", out, tt.spec)
				}
				return
			}
			var doc struct {
				Process struct {
					Capabilities map[string][]string `json:"capabilities"`
				} `json:"process"`
			}
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("output is not valid JSON: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(doc.Process.Capabilities, tt.wantSets) {
				t.Fatalf("capabilities = %v, want %v", doc.Process.Capabilities, tt.wantSets)
			}
		})
	}
}

// Fields the wrapper does not own must survive exactly, including integers
// beyond float64 precision (rlimits are often 2^64-1).
func TestRestrictSpecCapabilitiesKeepsOtherFieldsVerbatim(t *testing.T) {
	spec := `{"ociVersion":"1.0.2","process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":18446744073709551615}],` +
		`"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_KILL"]},"noNewPrivileges":false},` +
		`"linux":{"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"x-unknown":{"a":[1,2.50,"x"]}}}`
	out, removed, err := restrictSpecCapabilities([]byte(spec), withoutSysResource)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"CAP_SYS_RESOURCE"}) {
		t.Fatalf("removed = %v", removed)
	}
	var before, after map[string]json.RawMessage
	if err := json.Unmarshal([]byte(spec), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &after); err != nil {
		t.Fatal(err)
	}
	if string(before["linux"]) != string(after["linux"]) || string(before["ociVersion"]) != string(after["ociVersion"]) {
		t.Fatalf("untouched top-level fields changed:\n got %s\nwant %s", out, spec)
	}
	var processBefore, processAfter map[string]json.RawMessage
	if err := json.Unmarshal(before["process"], &processBefore); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(after["process"], &processAfter); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"rlimits", "noNewPrivileges"} {
		if string(processBefore[key]) != string(processAfter[key]) {
			t.Fatalf("process.%s changed: got %s want %s", key, processAfter[key], processBefore[key])
		}
	}
	if string(processAfter["capabilities"]) != `{"bounding":["CAP_KILL"]}` {
		t.Fatalf("capabilities = %s", processAfter["capabilities"])
	}
}

func TestRestrictProcessCapabilities(t *testing.T) {
	process := `{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh","-c","true"],"cwd":"/",` +
		`"capabilities":{"bounding":["CAP_SYS_RESOURCE","CAP_SYS_ADMIN"],"effective":["CAP_SYS_RESOURCE"],` +
		`"permitted":["CAP_SYS_RESOURCE","CAP_SYS_ADMIN"],"inheritable":null}}`
	out, removed, err := restrictProcessCapabilities([]byte(process), withoutSysResource)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"CAP_SYS_RESOURCE"}) {
		t.Fatalf("removed = %v", removed)
	}
	var doc struct {
		Args         []string            `json:"args"`
		Capabilities map[string][]string `json:"capabilities"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"bounding": {"CAP_SYS_ADMIN"}, "effective": {}, "permitted": {"CAP_SYS_ADMIN"}, "inheritable": nil}
	if !reflect.DeepEqual(doc.Capabilities, want) {
		t.Fatalf("capabilities = %#v, want %#v", doc.Capabilities, want)
	}
	if !slices.Equal(doc.Args, []string{"sh", "-c", "true"}) {
		t.Fatalf("args = %v", doc.Args)
	}
}

func TestRestrictRejectsMalformedDocuments(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		restrict func([]byte, map[string]bool) ([]byte, []string, error)
	}{
		{"spec is not JSON", `{"process":`, restrictSpecCapabilities},
		{"spec is an array", `[1]`, restrictSpecCapabilities},
		{"process is a string", `{"process":"sh"}`, restrictSpecCapabilities},
		{"capabilities set is not a list", `{"capabilities":{"bounding":"CAP_KILL"}}`, restrictProcessCapabilities},
		{"capabilities is a list", `{"capabilities":["CAP_KILL"]}`, restrictProcessCapabilities},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := tt.restrict([]byte(tt.doc), withoutSysResource); err == nil {
				t.Fatalf("no error for %s", tt.doc)
			}
		})
	}
}
