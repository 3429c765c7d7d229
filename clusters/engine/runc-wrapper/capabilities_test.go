package main

import (
	"maps"
	"slices"
	"testing"
)

func TestParseBoundingSet(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    uint64
		wantErr bool
	}{
		{
			name:   "host without CAP_SYS_RESOURCE",
			status: "Name:\tcat\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n",
			want:   0x1fffeffffff,
		},
		{
			name:   "full set",
			status: "CapBnd:\t000001ffffffffff\n",
			want:   0x1ffffffffff,
		},
		{name: "no CapBnd line", status: "Name:\tcat\nCapEff:\t0\n", wantErr: true},
		{name: "garbage mask", status: "CapBnd:\tnot-hex\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBoundingSet(tt.status)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseBoundingSet() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("parseBoundingSet() = %#x, want %#x", got, tt.want)
			}
		})
	}
}

func TestMissingCapabilities(t *testing.T) {
	tests := []struct {
		name        string
		boundingSet uint64
		want        []string
	}{
		{name: "all 41 present", boundingSet: 0x1ffffffffff, want: []string{}},
		{name: "bit 24 clear", boundingSet: 0x1fffeffffff, want: []string{"CAP_SYS_RESOURCE"}},
		{name: "old kernel without the last three", boundingSet: 0x3fffffffff, want: []string{"CAP_BPF", "CAP_CHECKPOINT_RESTORE", "CAP_PERFMON"}},
		{name: "bits 0 and 21 clear", boundingSet: 0x1ffffdffffe, want: []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(missingCapabilities(tt.boundingSet)))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("missingCapabilities(%#x) = %v, want %v", tt.boundingSet, got, tt.want)
			}
		})
	}
}
