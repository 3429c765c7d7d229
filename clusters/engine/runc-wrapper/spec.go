package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// capabilitySetNames are the keys of an OCI process's "capabilities" object.
var capabilitySetNames = []string{"bounding", "effective", "inheritable", "permitted", "ambient"}

// restrictSpecCapabilities removes the capabilities in missing from every set of
// process.capabilities in an OCI runtime spec (a bundle's config.json).
// It returns the rewritten document and the sorted, de-duplicated names it removed.
// When nothing is removed the input is returned unchanged, byte for byte.
// Every other field is carried over verbatim (as raw JSON), so numbers such as
// rlimits or uid mappings keep their exact text.
func restrictSpecCapabilities(spec []byte, missing map[string]bool) ([]byte, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(spec, &fields); err != nil {
		return nil, nil, fmt.Errorf("runtime spec is not a JSON object: %w", err)
	}
	process, ok := fields["process"]
	if !ok || isJSONNull(process) {
		return spec, nil, nil
	}
	rewritten, removed, err := restrictProcessCapabilities(process, missing)
	if err != nil {
		return nil, nil, fmt.Errorf("runtime spec field process: %w", err)
	}
	if len(removed) == 0 {
		return spec, nil, nil
	}
	fields["process"] = rewritten
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, err
	}
	return out, removed, nil
}

// restrictProcessCapabilities does the same for an OCI process object, the
// document `runc exec --process` reads.
func restrictProcessCapabilities(process []byte, missing map[string]bool) ([]byte, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(process, &fields); err != nil {
		return nil, nil, fmt.Errorf("process is not a JSON object: %w", err)
	}
	capabilities, ok := fields["capabilities"]
	if !ok || isJSONNull(capabilities) {
		return process, nil, nil
	}
	var sets map[string]json.RawMessage
	if err := json.Unmarshal(capabilities, &sets); err != nil {
		return nil, nil, fmt.Errorf("capabilities is not a JSON object: %w", err)
	}

	removedSet := map[string]bool{}
	for _, setName := range capabilitySetNames {
		raw, ok := sets[setName]
		if !ok || isJSONNull(raw) {
			continue
		}
		var names []string
		if err := json.Unmarshal(raw, &names); err != nil {
			return nil, nil, fmt.Errorf("capabilities.%s is not a list of names: %w", setName, err)
		}
		kept := make([]string, 0, len(names))
		for _, name := range names {
			if missing[strings.ToUpper(name)] {
				removedSet[strings.ToUpper(name)] = true
				continue
			}
			kept = append(kept, name)
		}
		if len(kept) == len(names) {
			continue
		}
		encoded, err := json.Marshal(kept)
		if err != nil {
			return nil, nil, err
		}
		sets[setName] = encoded
	}
	if len(removedSet) == 0 {
		return process, nil, nil
	}

	encodedSets, err := json.Marshal(sets)
	if err != nil {
		return nil, nil, err
	}
	fields["capabilities"] = encodedSets
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, err
	}
	removed := make([]string, 0, len(removedSet))
	for name := range removedSet {
		removed = append(removed, name)
	}
	slices.Sort(removed)
	return out, removed, nil
}

func isJSONNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
