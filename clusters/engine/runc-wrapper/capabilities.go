package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// capabilityNames maps Linux capability numbers (the bit positions of the
// CapBnd mask, include/uapi/linux/capability.h) to the names OCI specs use.
// A capability the spec names but this table does not know is never removed:
// the wrapper only drops what it can prove the host lacks.
var capabilityNames = [...]string{
	0:  "CAP_CHOWN",
	1:  "CAP_DAC_OVERRIDE",
	2:  "CAP_DAC_READ_SEARCH",
	3:  "CAP_FOWNER",
	4:  "CAP_FSETID",
	5:  "CAP_KILL",
	6:  "CAP_SETGID",
	7:  "CAP_SETUID",
	8:  "CAP_SETPCAP",
	9:  "CAP_LINUX_IMMUTABLE",
	10: "CAP_NET_BIND_SERVICE",
	11: "CAP_NET_BROADCAST",
	12: "CAP_NET_ADMIN",
	13: "CAP_NET_RAW",
	14: "CAP_IPC_LOCK",
	15: "CAP_IPC_OWNER",
	16: "CAP_SYS_MODULE",
	17: "CAP_SYS_RAWIO",
	18: "CAP_SYS_CHROOT",
	19: "CAP_SYS_PTRACE",
	20: "CAP_SYS_PACCT",
	21: "CAP_SYS_ADMIN",
	22: "CAP_SYS_BOOT",
	23: "CAP_SYS_NICE",
	24: "CAP_SYS_RESOURCE",
	25: "CAP_SYS_TIME",
	26: "CAP_SYS_TTY_CONFIG",
	27: "CAP_MKNOD",
	28: "CAP_LEASE",
	29: "CAP_AUDIT_WRITE",
	30: "CAP_AUDIT_CONTROL",
	31: "CAP_SETFCAP",
	32: "CAP_MAC_OVERRIDE",
	33: "CAP_MAC_ADMIN",
	34: "CAP_SYSLOG",
	35: "CAP_WAKE_ALARM",
	36: "CAP_BLOCK_SUSPEND",
	37: "CAP_AUDIT_READ",
	38: "CAP_PERFMON",
	39: "CAP_BPF",
	40: "CAP_CHECKPOINT_RESTORE",
}

// parseBoundingSet extracts the CapBnd mask from the text of /proc/<pid>/status.
func parseBoundingSet(status string) (uint64, error) {
	scanner := bufio.NewScanner(strings.NewReader(status))
	for scanner.Scan() {
		key, value, found := strings.Cut(scanner.Text(), ":")
		if !found || key != "CapBnd" {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(value), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("CapBnd value %q is not a hexadecimal mask: %w", strings.TrimSpace(value), err)
		}
		return mask, nil
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no CapBnd line found in the process status")
}

// missingCapabilities returns the names of every known capability whose bit is
// clear in the bounding-set mask. Those can never be granted to any process on
// this host, so asking runc for them makes it fail with "unable to apply caps".
func missingCapabilities(boundingSet uint64) map[string]bool {
	missing := map[string]bool{}
	for bit, name := range capabilityNames {
		if boundingSet&(uint64(1)<<uint(bit)) == 0 {
			missing[name] = true
		}
	}
	return missing
}
