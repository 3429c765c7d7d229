package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// podnetVersion is stamped at link time: -ldflags "-X main.podnetVersion=<PODNET_VERSION>".
// It is the only package-level variable, because -X can set nothing else.
var podnetVersion = "unset"

const (
	serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"
	conflistName      = "10-podnet.conflist"
)

// run starts the agent and returns when ctx ends (nil) or on a configuration error. Errors
// while reconciling are logged and retried on the next resync, so a transient API or
// netfilter failure never takes the node's network down with the pod.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	if cfg.printVersion {
		fmt.Fprintf(stdout, "podnet %s\n", podnetVersion)
		return nil
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	logger.Info("starting", "version", podnetVersion, "node", cfg.nodeName, "podSubnets", cfg.podSubnets,
		"hostIP", cfg.hostIP, "controlPlaneEndpoint", cfg.controlPlaneEndpoint, "cniConfDir", cfg.cniConfDir)

	restConfig, err := clientConfig(cfg.controlPlaneEndpoint)
	if err != nil {
		return err
	}
	restConfig.UserAgent = "podnet/" + podnetVersion
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return fmt.Errorf("creating the Kubernetes client for %s: %w", restConfig.Host, err)
	}

	factory := informers.NewSharedInformerFactory(client, cfg.resync)
	nodes := factory.Core().V1().Nodes()
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}); err != nil {
		return fmt.Errorf("watching nodes: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for !cache.WaitForCacheSync(ctx.Done(), nodes.Informer().HasSynced) {
		if ctx.Err() != nil {
			return nil
		}
	}

	agent := &agent{cfg: cfg, logger: logger, netfilter: execNetfilter{}, routes: netlinkRoutes{}}
	ticker := time.NewTicker(cfg.resync)
	defer ticker.Stop()
	for {
		all, err := nodes.Lister().List(labels.Everything())
		if err != nil {
			logger.Error("listing nodes from the informer cache", "err", err)
		} else if err := agent.reconcile(ctx, all); err != nil {
			logger.Error("reconcile failed; retrying on the next change or resync", "err", err)
		}
		select {
		case <-ctx.Done():
			logger.Info("stopping")
			return nil
		case <-changed:
		case <-ticker.C:
		}
	}
}

// clientConfig talks to CONTROL_PLANE_ENDPOINT directly when kind gives one, so the pod
// network does not depend on kube-proxy's service rules (which need pods running); otherwise
// it uses the in-cluster service address.
func clientConfig(controlPlaneEndpoint string) (*rest.Config, error) {
	if controlPlaneEndpoint == "" {
		c, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("no CONTROL_PLANE_ENDPOINT and no in-cluster config: %w", err)
		}
		return c, nil
	}
	tokenFile := filepath.Join(serviceAccountDir, "token")
	caFile := filepath.Join(serviceAccountDir, "ca.crt")
	for _, f := range []string{tokenFile, caFile} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("service account file %s: %w (is automountServiceAccountToken disabled?)", f, err)
		}
	}
	return &rest.Config{
		Host:            "https://" + controlPlaneEndpoint,
		BearerTokenFile: tokenFile,
		TLSClientConfig: rest.TLSClientConfig{CAFile: caFile},
	}, nil
}

// agent holds what one reconcile needs; netfilter and routes are the two kernel-facing seams.
type agent struct {
	cfg       config
	logger    *slog.Logger
	netfilter netfilter
	routes    routeTable
}

var errNoPodCIDR = errors.New("node has no spec.podCIDRs yet")

func (a *agent) reconcile(ctx context.Context, nodes []*corev1.Node) error {
	var self *corev1.Node
	for _, n := range nodes {
		if n.Name == a.cfg.nodeName {
			self = n
		}
	}
	if self == nil {
		return fmt.Errorf("node %q (NODE_NAME) is not in the cluster's node list", a.cfg.nodeName)
	}
	var errs []error
	if err := a.netfilter.ensureMasquerade(ctx, a.cfg.podSubnets); err != nil {
		errs = append(errs, fmt.Errorf("masquerade rules: %w", err))
	}
	desired := desiredRoutes(a.cfg.nodeName, nodes)
	if err := a.routes.sync(desired); err != nil {
		errs = append(errs, fmt.Errorf("routes to other nodes' pods: %w", err))
	}
	podCIDRs := nodePodCIDRs(self)
	if len(podCIDRs) == 0 {
		errs = append(errs, fmt.Errorf("%s: %w (is kube-controller-manager running with --allocate-node-cidrs?)", self.Name, errNoPodCIDR))
		return errors.Join(errs...)
	}
	conf, err := renderConflist(podCIDRs, a.routes.mtuOf(a.cfg.hostIP))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	path := filepath.Join(a.cfg.cniConfDir, conflistName)
	changed, err := writeFileIfChanged(path, conf)
	if err != nil {
		errs = append(errs, err)
	} else if changed {
		a.logger.Info("wrote CNI config", "path", path, "podCIDRs", podCIDRs)
	}
	return errors.Join(errs...)
}
