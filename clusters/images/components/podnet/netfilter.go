package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// netfilter is the seam between the agent and the node's packet filter.
type netfilter interface {
	ensureMasquerade(ctx context.Context, podSubnets []netip.Prefix) error
}

const masqueradeChain = "PODNET-MASQUERADE"

// masqueradeRestoreInput is the iptables-restore input (used with --noflush) that (re)writes
// our own chain: traffic that stays inside the pod subnet keeps its source address (other
// nodes route it back through our routes); everything else leaves with the node's address.
// Declaring the chain flushes it, so the chain always ends up exactly as rendered here.
func masqueradeRestoreInput(podSubnets []netip.Prefix) string {
	var b strings.Builder
	b.WriteString("*nat\n")
	fmt.Fprintf(&b, ":%s - [0:0]\n", masqueradeChain)
	for _, s := range podSubnets {
		fmt.Fprintf(&b, "-A %s -d %s -m comment --comment \"podnet: pod to pod keeps its source\" -j RETURN\n", masqueradeChain, s)
	}
	fmt.Fprintf(&b, "-A %s -m comment --comment \"podnet: pod to outside the pod subnet\" -j MASQUERADE --random-fully\n", masqueradeChain)
	b.WriteString("COMMIT\n")
	return b.String()
}

// postroutingJump is the rule (without -A/-C) that sends pod-sourced traffic to our chain.
func postroutingJump(subnet netip.Prefix) []string {
	return []string{"POSTROUTING", "-t", "nat", "-s", subnet.String(),
		"-m", "comment", "--comment", "podnet: masquerade pod traffic", "-j", masqueradeChain}
}

// execNetfilter runs the image's iptables commands, which our iptables-wrapper points at the
// backend (legacy or nft) the node uses.
type execNetfilter struct{}

func (execNetfilter) ensureMasquerade(ctx context.Context, podSubnets []netip.Prefix) error {
	if err := runIPTables(ctx, strings.NewReader(masqueradeRestoreInput(podSubnets)), "iptables-restore", "--noflush", "--wait"); err != nil {
		return err
	}
	for _, s := range podSubnets {
		jump := postroutingJump(s)
		err := runIPTables(ctx, nil, "iptables", append([]string{"--wait", "-C"}, jump...)...)
		if err == nil {
			continue
		}
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
			return err
		}
		if err := runIPTables(ctx, nil, "iptables", append([]string{"--wait", "-A"}, jump...)...); err != nil {
			return err
		}
	}
	return nil
}

func runIPTables(ctx context.Context, stdin *strings.Reader, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	// iptables prints warnings (e.g. "iptables-legacy tables present") on stdout; keep both
	// streams out of the pod log unless the command fails.
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(output.String()))
	}
	return nil
}
