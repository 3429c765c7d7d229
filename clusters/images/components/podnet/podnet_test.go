package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func validEnv() map[string]string {
	return map[string]string{
		"NODE_NAME":              "kind-worker",
		"POD_SUBNET":             "10.244.0.0/16",
		"HOST_IP":                "172.18.0.3",
		"CONTROL_PLANE_ENDPOINT": "kind-control-plane:6443",
	}
}

func TestParseConfigReadsTheDaemonSetEnv(t *testing.T) {
	cfg, err := parseConfig(nil, env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.nodeName != "kind-worker" || cfg.hostIP != netip.MustParseAddr("172.18.0.3") ||
		cfg.controlPlaneEndpoint != "kind-control-plane:6443" || cfg.cniConfDir != "/etc/cni/net.d" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}; !reflect.DeepEqual(cfg.podSubnets, want) {
		t.Fatalf("podSubnets = %v, want %v", cfg.podSubnets, want)
	}
}

func TestParseConfigErrorsNameTheFieldAndTheFix(t *testing.T) {
	cases := []struct {
		name, key, value string
		args             []string
		want             []string
	}{
		{name: "missing node", key: "NODE_NAME", value: "", want: []string{"NODE_NAME", "spec.nodeName"}},
		{name: "empty subnet", key: "POD_SUBNET", value: "", want: []string{"POD_SUBNET", "10.244.0.0/16"}},
		{name: "bad subnet", key: "POD_SUBNET", value: "10.244.0.0", want: []string{`"10.244.0.0"`, "not a CIDR"}},
		{name: "ipv6 subnet", key: "POD_SUBNET", value: "10.244.0.0/16,fd00:10:244::/56", want: []string{"fd00:10:244::/56", "ipFamily: ipv4"}},
		{name: "bad host ip", key: "HOST_IP", value: "node-1", want: []string{`HOST_IP="node-1"`, "status.hostIP"}},
		{name: "endpoint without port", key: "CONTROL_PLANE_ENDPOINT", value: "kind-control-plane", want: []string{"CONTROL_PLANE_ENDPOINT", "host:port"}},
		{name: "short resync", args: []string{"--resync=10ms"}, want: []string{"--resync=10ms", "at least 1s"}},
		{name: "unknown flag", args: []string{"--bogus"}, want: []string{"bogus", "--cni-conf-dir"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := validEnv()
			if tc.key != "" {
				e[tc.key] = tc.value
			}
			_, err := parseConfig(tc.args, env(e))
			if err == nil {
				t.Fatal("parseConfig succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestVersionFlagNeedsNoEnv(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"--version"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "podnet ") {
		t.Fatalf("stdout = %q", out.String())
	}
}

func TestRenderConflist(t *testing.T) {
	raw, err := renderConflist([]netip.Prefix{netip.MustParsePrefix("10.244.1.0/24")}, 1500)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		CNIVersion string `json:"cniVersion"`
		Plugins    []struct {
			Type         string          `json:"type"`
			IPMasq       *bool           `json:"ipMasq"`
			MTU          int             `json:"mtu"`
			Capabilities map[string]bool `json:"capabilities"`
			IPAM         struct {
				Type    string `json:"type"`
				DataDir string `json:"dataDir"`
				Routes  []struct {
					Dst string `json:"dst"`
				} `json:"routes"`
				Ranges [][]struct {
					Subnet string `json:"subnet"`
				} `json:"ranges"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("conflist is not JSON: %v\n%s", err, raw)
	}
	if got.CNIVersion != "0.4.0" || len(got.Plugins) != 2 {
		t.Fatalf("conflist = %s", raw)
	}
	ptp, portmap := got.Plugins[0], got.Plugins[1]
	if ptp.Type != "ptp" || ptp.IPMasq == nil || *ptp.IPMasq || ptp.MTU != 1500 {
		t.Errorf("ptp plugin = %+v", ptp)
	}
	if ptp.IPAM.Type != "host-local" || ptp.IPAM.Ranges[0][0].Subnet != "10.244.1.0/24" || ptp.IPAM.Routes[0].Dst != "0.0.0.0/0" {
		t.Errorf("ipam = %+v", ptp.IPAM)
	}
	if portmap.Type != "portmap" || !portmap.Capabilities["portMappings"] {
		t.Errorf("portmap plugin = %+v", portmap)
	}
	if _, err := renderConflist(nil, 0); err == nil {
		t.Error("renderConflist(nil) succeeded, want an error")
	}
}

func TestRenderConflistOmitsUnknownMTU(t *testing.T) {
	raw, _ := renderConflist([]netip.Prefix{netip.MustParsePrefix("10.244.0.0/24")}, 0)
	if strings.Contains(string(raw), "mtu") {
		t.Fatalf("conflist mentions mtu although it is unknown:\n%s", raw)
	}
}

func TestWriteFileIfChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "10-podnet.conflist")
	for i, tc := range []struct {
		data        string
		wantChanged bool
	}{{"a", true}, {"a", false}, {"b", true}} {
		changed, err := writeFileIfChanged(path, []byte(tc.data))
		if err != nil {
			t.Fatal(err)
		}
		if changed != tc.wantChanged {
			t.Errorf("write %d (%q): changed = %v, want %v", i, tc.data, changed, tc.wantChanged)
		}
		got, _ := os.ReadFile(path)
		if string(got) != tc.data {
			t.Errorf("write %d: file holds %q, want %q", i, got, tc.data)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the config (no temp files left)", len(entries))
	}
}

func TestMasqueradeRestoreInput(t *testing.T) {
	got := masqueradeRestoreInput([]netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")})
	want := "*nat\n" +
		":PODNET-MASQUERADE - [0:0]\n" +
		"-A PODNET-MASQUERADE -d 10.244.0.0/16 -m comment --comment \"podnet: pod to pod keeps its source\" -j RETURN\n" +
		"-A PODNET-MASQUERADE -m comment --comment \"podnet: pod to outside the pod subnet\" -j MASQUERADE --random-fully\n" +
		"COMMIT\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func node(name, internalIP string, podCIDRs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Spec.PodCIDRs = podCIDRs
	if len(podCIDRs) > 0 {
		n.Spec.PodCIDR = podCIDRs[0]
	}
	if internalIP != "" {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: internalIP}}
	}
	return n
}

func TestDesiredRoutes(t *testing.T) {
	nodes := []*corev1.Node{
		node("kind-control-plane", "172.18.0.2", "10.244.0.0/24"),
		node("kind-worker", "172.18.0.3", "10.244.1.0/24"),
		node("kind-worker2", "172.18.0.4", "10.244.2.0/24", "fd00:10:244:2::/64"),
		node("joining", "172.18.0.5"),           // no pod CIDR yet
		node("no-address", "", "10.244.9.0/24"), // no InternalIP yet
	}
	got := desiredRoutes("kind-worker", nodes)
	want := []nodeRoute{
		{Dst: netip.MustParsePrefix("10.244.0.0/24"), Via: netip.MustParseAddr("172.18.0.2")},
		{Dst: netip.MustParsePrefix("10.244.2.0/24"), Via: netip.MustParseAddr("172.18.0.4")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("desiredRoutes = %v, want %v", got, want)
	}
}

type fakeNetfilter struct {
	subnets []netip.Prefix
	err     error
}

func (f *fakeNetfilter) ensureMasquerade(_ context.Context, s []netip.Prefix) error {
	f.subnets = s
	return f.err
}

type fakeRoutes struct{ synced []nodeRoute }

func (f *fakeRoutes) sync(d []nodeRoute) error { f.synced = d; return nil }
func (f *fakeRoutes) mtuOf(netip.Addr) int     { return 1400 }

func newTestAgent(t *testing.T, nf netfilter, rt routeTable) *agent {
	cfg, err := parseConfig([]string{"--cni-conf-dir=" + t.TempDir()}, env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	return &agent{cfg: cfg, logger: slog.New(slog.NewTextHandler(io.Discard, nil)), netfilter: nf, routes: rt}
}

func TestReconcileWritesConfigRoutesAndRules(t *testing.T) {
	nf, rt := &fakeNetfilter{}, &fakeRoutes{}
	a := newTestAgent(t, nf, rt)
	nodes := []*corev1.Node{
		node("kind-control-plane", "172.18.0.2", "10.244.0.0/24"),
		node("kind-worker", "172.18.0.3", "10.244.1.0/24"),
	}
	if err := a.reconcile(context.Background(), nodes); err != nil {
		t.Fatal(err)
	}
	if len(rt.synced) != 1 || rt.synced[0].Via != netip.MustParseAddr("172.18.0.2") {
		t.Errorf("routes synced = %v", rt.synced)
	}
	if len(nf.subnets) != 1 || nf.subnets[0].String() != "10.244.0.0/16" {
		t.Errorf("masquerade subnets = %v", nf.subnets)
	}
	conf, err := os.ReadFile(filepath.Join(a.cfg.cniConfDir, conflistName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), `"subnet": "10.244.1.0/24"`) || !strings.Contains(string(conf), `"mtu": 1400`) {
		t.Errorf("conflist does not use this node's pod CIDR and MTU:\n%s", conf)
	}
}

func TestReconcileWithoutPodCIDRWritesNoConfig(t *testing.T) {
	a := newTestAgent(t, &fakeNetfilter{}, &fakeRoutes{})
	err := a.reconcile(context.Background(), []*corev1.Node{node("kind-worker", "172.18.0.3")})
	if !errors.Is(err, errNoPodCIDR) {
		t.Fatalf("err = %v, want errNoPodCIDR", err)
	}
	if _, statErr := os.Stat(filepath.Join(a.cfg.cniConfDir, conflistName)); !os.IsNotExist(statErr) {
		t.Fatalf("a CNI config was written for a node without pod CIDRs (stat err %v)", statErr)
	}
}

func TestReconcileUnknownNodeIsAnError(t *testing.T) {
	a := newTestAgent(t, &fakeNetfilter{}, &fakeRoutes{})
	err := a.reconcile(context.Background(), []*corev1.Node{node("other", "172.18.0.9", "10.244.5.0/24")})
	if err == nil || !strings.Contains(err.Error(), `"kind-worker"`) {
		t.Fatalf("err = %v, want one naming the missing node", err)
	}
}

func TestReconcileStillWritesConfigWhenRulesFail(t *testing.T) {
	a := newTestAgent(t, &fakeNetfilter{err: errors.New("iptables-restore: exit status 4")}, &fakeRoutes{})
	err := a.reconcile(context.Background(), []*corev1.Node{node("kind-worker", "172.18.0.3", "10.244.1.0/24")})
	if err == nil || !strings.Contains(err.Error(), "masquerade") {
		t.Fatalf("err = %v, want the masquerade failure reported", err)
	}
	if _, statErr := os.Stat(filepath.Join(a.cfg.cniConfDir, conflistName)); statErr != nil {
		t.Fatalf("CNI config missing after a rules failure: %v", statErr)
	}
}
