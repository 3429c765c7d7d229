package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// config is everything podnet reads from its flags and environment (the DaemonSet's env).
type config struct {
	printVersion         bool
	nodeName             string         // NODE_NAME: this node (downward API spec.nodeName)
	podSubnets           []netip.Prefix // POD_SUBNET: the cluster-wide pod subnet(s), IPv4
	hostIP               netip.Addr     // HOST_IP: this node's address (downward API status.hostIP)
	controlPlaneEndpoint string         // CONTROL_PLANE_ENDPOINT: host:port, added by kind; optional
	cniConfDir           string
	resync               time.Duration
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("podnet", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&cfg.printVersion, "version", false, "print the version and exit")
	fs.StringVar(&cfg.cniConfDir, "cni-conf-dir", "/etc/cni/net.d", "directory the container runtime reads CNI configs from")
	fs.DurationVar(&cfg.resync, "resync", 30*time.Second, "how often to re-check routes, rules and the CNI config without a node change")
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("%w; flags are --version, --cni-conf-dir=DIR, --resync=DURATION", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q; podnet takes flags only", fs.Args())
	}
	if cfg.printVersion {
		return cfg, nil
	}
	if cfg.resync < time.Second {
		return config{}, fmt.Errorf("--resync=%s is too short; use at least 1s (default 30s)", cfg.resync)
	}

	cfg.nodeName = strings.TrimSpace(getenv("NODE_NAME"))
	if cfg.nodeName == "" {
		return config{}, fmt.Errorf("NODE_NAME is empty; set it from the downward API (fieldRef spec.nodeName)")
	}
	subnets, err := parsePodSubnets(getenv("POD_SUBNET"))
	if err != nil {
		return config{}, err
	}
	cfg.podSubnets = subnets
	hostIP := strings.TrimSpace(getenv("HOST_IP"))
	cfg.hostIP, err = netip.ParseAddr(hostIP)
	if err != nil {
		return config{}, fmt.Errorf("HOST_IP=%q is not an IP address; set it from the downward API (fieldRef status.hostIP)", hostIP)
	}
	endpoint := strings.TrimSpace(getenv("CONTROL_PLANE_ENDPOINT"))
	if endpoint != "" {
		if _, _, err := net.SplitHostPort(endpoint); err != nil {
			return config{}, fmt.Errorf("CONTROL_PLANE_ENDPOINT=%q is not host:port (e.g. kind-control-plane:6443): %v", endpoint, err)
		}
	}
	cfg.controlPlaneEndpoint = endpoint
	return cfg, nil
}

// parsePodSubnets reads kind's networking.podSubnet (comma-separated for dual stack).
func parsePodSubnets(raw string) ([]netip.Prefix, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("POD_SUBNET is empty; kind templates it from networking.podSubnet (default 10.244.0.0/16)")
	}
	var subnets []netip.Prefix
	for _, field := range strings.Split(raw, ",") {
		field = strings.TrimSpace(field)
		p, err := netip.ParsePrefix(field)
		if err != nil {
			return nil, fmt.Errorf("POD_SUBNET=%q: %q is not a CIDR (e.g. 10.244.0.0/16)", raw, field)
		}
		if !p.Addr().Is4() {
			return nil, fmt.Errorf("POD_SUBNET=%q: %s is IPv6, which podnet does not route; set networking.ipFamily: ipv4 in the kind config", raw, field)
		}
		subnets = append(subnets, p.Masked())
	}
	return subnets, nil
}
