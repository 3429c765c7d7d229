// Command podnet is probelab's pod network agent for kind clusters: the DaemonSet that kind
// applies from /kind/manifests/default-cni.yaml. On every node it
//   - writes a CNI conflist (ptp + host-local IPAM over the node's spec.podCIDRs + portmap),
//     which is what turns the node Ready;
//   - routes every other node's pod CIDRs via that node's InternalIP;
//   - masquerades traffic from pods to anything outside the cluster's pod subnet.
//
// It fills the role of kind's kindnetd, which cannot be built here (its module is not served by
// the Go module proxy this project builds from). The CNI plugins themselves (ptp, host-local,
// portmap, loopback) come from the node image.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "podnet:", err)
		os.Exit(1)
	}
}
