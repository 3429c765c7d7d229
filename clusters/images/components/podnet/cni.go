package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// The conflist mirrors what kind's own agent writes: a point-to-point veth per pod (no bridge,
// so no br_netfilter dependency), host-local IPAM over the node's pod CIDRs with state in /run
// (cleared on node restart, like the pods themselves), and portmap for hostPort. ipMasq is off
// because the agent masquerades once, for the whole pod subnet.
type conflist struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Plugins    []any  `json:"plugins"`
}

type ptpPlugin struct {
	Type   string `json:"type"`
	IPMasq bool   `json:"ipMasq"`
	MTU    int    `json:"mtu,omitempty"`
	IPAM   ipam   `json:"ipam"`
}

type ipam struct {
	Type    string          `json:"type"`
	DataDir string          `json:"dataDir"`
	Routes  []ipamRoute     `json:"routes"`
	Ranges  [][]ipamSubnets `json:"ranges"`
}

type ipamRoute struct {
	Dst string `json:"dst"`
}

type ipamSubnets struct {
	Subnet string `json:"subnet"`
}

type portmapPlugin struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities"`
}

func renderConflist(podCIDRs []netip.Prefix, mtu int) ([]byte, error) {
	if len(podCIDRs) == 0 {
		return nil, fmt.Errorf("no pod CIDRs to render a CNI config for")
	}
	var ranges [][]ipamSubnets
	for _, cidr := range podCIDRs {
		ranges = append(ranges, []ipamSubnets{{Subnet: cidr.String()}})
	}
	c := conflist{
		CNIVersion: "0.4.0",
		Name:       "podnet",
		Plugins: []any{
			ptpPlugin{
				Type:   "ptp",
				IPMasq: false,
				MTU:    mtu,
				IPAM: ipam{
					Type:    "host-local",
					DataDir: "/run/cni-ipam-state",
					Routes:  []ipamRoute{{Dst: "0.0.0.0/0"}},
					Ranges:  ranges,
				},
			},
			portmapPlugin{Type: "portmap", Capabilities: map[string]bool{"portMappings": true}},
		},
	}
	out, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// nodePodCIDRs returns the node's IPv4 pod CIDRs (spec.podCIDRs, else spec.podCIDR).
func nodePodCIDRs(n *corev1.Node) []netip.Prefix {
	raw := n.Spec.PodCIDRs
	if len(raw) == 0 && n.Spec.PodCIDR != "" {
		raw = []string{n.Spec.PodCIDR}
	}
	var out []netip.Prefix
	for _, s := range raw {
		p, err := netip.ParsePrefix(s)
		if err == nil && p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out
}

// writeFileIfChanged replaces path with data atomically (temp file + rename in the same
// directory), so the runtime never reads half a config; it reports whether anything changed.
func writeFileIfChanged(path string, data []byte) (bool, error) {
	current, err := os.ReadFile(path)
	if err == nil && bytes.Equal(current, data) {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("replacing %s: %w", path, err)
	}
	return true, nil
}
