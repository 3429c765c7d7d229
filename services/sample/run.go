package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
)

// run is the whole program; main only turns its error into an exit code.
// It returns when the process should exit: after a shutdown (nil, or an
// exitError carrying SAMPLE_EXIT_CODE), on /exit (an exitError carrying the
// requested code), or on a configuration or listen error.
//
// Cancelling ctx has the same effect as SIGTERM or SIGINT, which run also
// catches; what happens then depends on SAMPLE_SHUTDOWN_MODE.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: opts.LogLevel}))
	podName := opts.PodName
	if podName == "" {
		if podName, err = os.Hostname(); err != nil {
			return fmt.Errorf("POD_NAME is empty and the hostname is unknown: %w", err)
		}
	}
	logger = logger.With("pod", podName)

	signalCtx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	// appCtx bounds every goroutine run starts and the requests it serves. It
	// ends when run returns, not when a signal arrives: the shutdown mode
	// decides what a signal means.
	appCtx, cancelApp := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelApp()

	life := newLifecycle(time.Now)
	m := newMetrics(life)
	config, err := newConfigStore(opts.ConfigFile, opts.ConfigReload, m, logger, time.Now)
	if err != nil {
		return err
	}
	if err := config.watch(appCtx); err != nil {
		return err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 100
	defer transport.CloseIdleConnections()
	dep := &dependencyClient{
		baseURL: opts.DependencyURL,
		timeout: opts.DependencyTimeout,
		client:  &http.Client{Transport: transport},
		metrics: m,
	}
	exitRequests := make(chan int, 1)
	requestExit := func(code int) {
		select {
		case exitRequests <- code:
		default: // an exit is already under way
		}
	}
	handler := NewServer(logger, podName, life, config, m, opts.Work, opts.LivenessMode, dep, requestExit, crashProcess, rand.Float64)

	logger.Info("starting", opts.logAttrs()...)
	if opts.PanicAfter > 0 {
		go panicAfter(appCtx, opts.PanicAfter, logger, m, crashProcess)
	}
	if opts.LeakRate > 0 {
		go leakMemory(appCtx, opts.LeakRate, m)
	}

	shutdownRequested := signalCtx.Done()
	if opts.ShutdownMode == shutdownIgnore {
		shutdownRequested = nil // never fires; the signal handler stays installed, so signals are swallowed
		go func() {
			select {
			case <-signalCtx.Done():
				logger.Warn("termination signal ignored (SAMPLE_SHUTDOWN_MODE=ignore); only SIGKILL or /exit stops this process")
			case <-appCtx.Done():
			}
		}()
	}

	if opts.ListenDelay > 0 {
		logger.Info("delaying listen", "listenDelay", opts.ListenDelay.String())
		t := time.NewTimer(opts.ListenDelay)
		select {
		case <-t.C:
		case <-shutdownRequested:
			t.Stop()
			life.advance(StateStopping)
			life.markStopped()
			logger.Info("terminated before listening")
			return exitAfterShutdown(opts.ExitCode)
		}
	}

	httpListener, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(opts.Port)))
	if err != nil {
		return fmt.Errorf("listen on SAMPLE_PORT %d: %w", opts.Port, err)
	}
	var grpcListener net.Listener
	if opts.GRPCPort != 0 {
		if grpcListener, err = net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(opts.GRPCPort))); err != nil {
			httpListener.Close()
			return fmt.Errorf("listen on SAMPLE_GRPC_PORT %d: %w", opts.GRPCPort, err)
		}
	}
	life.advance(StateSyncing)

	httpServer := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return appCtx },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErrs := make(chan error, 2)
	go func() { serveErrs <- fmt.Errorf("HTTP server: %w", httpServer.Serve(httpListener)) }()
	var grpcServer *grpc.Server
	grpcAddr := "disabled"
	if grpcListener != nil {
		grpcServer = newGRPCHealthServer(life)
		grpcAddr = grpcListener.Addr().String()
		go func() {
			if err := grpcServer.Serve(grpcListener); err != nil {
				serveErrs <- fmt.Errorf("gRPC server: %w", err)
			}
		}()
	}
	logger.Info("listening", "http", httpListener.Addr().String(), "grpc", grpcAddr, "state", life.State().String())

	go syncThenReady(appCtx, opts, life, m, logger)

	select {
	case <-shutdownRequested:
		stopSignals() // from now on a second SIGTERM/SIGINT kills the process at once
		if opts.ShutdownMode == shutdownAbrupt {
			return shutdownAbruptly(opts, logger, life, httpServer, grpcServer)
		}
		return shutdownGracefully(opts, logger, life, httpServer, grpcServer)
	case code := <-exitRequests:
		life.advance(StateStopping)
		closeServers(httpServer, grpcServer)
		life.markStopped()
		return &exitError{Code: code, Reason: "exit requested via /exit"}
	case err := <-serveErrs:
		life.advance(StateStopping)
		closeServers(httpServer, grpcServer)
		life.markStopped()
		return err
	}
}

// syncThenReady is the syncing phase: allocate the warm-up memory, wait out
// the rest of SAMPLE_SYNC_DURATION, become ready, then keep the warm-up
// memory until run returns.
func syncThenReady(ctx context.Context, opts options, life *lifecycle, m *metrics, logger *slog.Logger) {
	began := time.Now()
	mem := warmUp(opts.WarmupAlloc, m)
	if err := sleepContext(ctx, opts.SyncDuration-time.Since(began)); err != nil {
		return
	}
	if life.advance(StateReady) {
		logger.Info("ready", "syncedIn", time.Since(began).String(), "warmupBytes", mem.size())
	}
	<-ctx.Done()
	mem.keepAlive()
}

// shutdownGracefully fails readiness at once, keeps serving for the drain
// delay (the time Kubernetes needs to take the pod out of its endpoints),
// then stops accepting and lets in-flight requests finish within the
// shutdown timeout. The timeout context is fresh: the signal's context is
// already cancelled and would make Shutdown return without waiting.
func shutdownGracefully(opts options, logger *slog.Logger, life *lifecycle, httpServer *http.Server, grpcServer *grpc.Server) error {
	life.advance(StateStopping)
	// Responses now carry "Connection: close", so keep-alive clients move to
	// other pods instead of reusing a connection to this one.
	httpServer.SetKeepAlivesEnabled(false)
	logger.Info("shutdown started: readiness fails, still serving until the drain delay is over",
		"mode", shutdownGraceful, "drainDelay", opts.DrainDelay.String(), "shutdownTimeout", opts.ShutdownTimeout.String())
	time.Sleep(opts.DrainDelay)

	logger.Info("drain delay over: closing listeners, waiting for in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	grpcStopped := make(chan struct{})
	go func() {
		if grpcServer != nil {
			grpcServer.GracefulStop()
		}
		close(grpcStopped)
	}()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		logger.Warn("shutdown timeout exceeded: cutting the remaining requests", "shutdownTimeout", opts.ShutdownTimeout.String(), "err", err)
		_ = httpServer.Close()
	}
	select {
	case <-grpcStopped:
	case <-shutdownCtx.Done():
		if grpcServer != nil {
			grpcServer.Stop() // cuts long-lived health Watch streams
		}
		<-grpcStopped
	}
	life.markStopped()
	logger.Info("shutdown complete", "duration", life.shutdownDuration().String(), "exitCode", opts.ExitCode)
	return exitAfterShutdown(opts.ExitCode)
}

// shutdownAbruptly closes every connection at once, cutting in-flight
// requests, as a process that exits on SIGTERM without draining does.
func shutdownAbruptly(opts options, logger *slog.Logger, life *lifecycle, httpServer *http.Server, grpcServer *grpc.Server) error {
	life.advance(StateStopping)
	logger.Warn("shutdown started: abrupt, cutting in-flight requests", "mode", shutdownAbrupt)
	closeServers(httpServer, grpcServer)
	life.markStopped()
	logger.Info("shutdown complete", "duration", life.shutdownDuration().String(), "exitCode", opts.ExitCode)
	return exitAfterShutdown(opts.ExitCode)
}

func closeServers(httpServer *http.Server, grpcServer *grpc.Server) {
	_ = httpServer.Close()
	if grpcServer != nil {
		grpcServer.Stop()
	}
}

func exitAfterShutdown(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{Code: code, Reason: "shut down; exiting with SAMPLE_EXIT_CODE"}
}

// logAttrs describes the options for the "starting" log line.
func (o options) logAttrs() []any {
	return []any{
		"port", o.Port, "grpcPort", o.GRPCPort,
		"listenDelay", o.ListenDelay.String(), "syncDuration", o.SyncDuration.String(), "warmupAlloc", formatByteSize(o.WarmupAlloc),
		"livenessMode", o.LivenessMode, "dependencyURL", o.DependencyURL, "dependencyTimeout", o.DependencyTimeout.String(),
		slog.Group("work", "cpu", o.Work.CPU.String(), "alloc", formatByteSize(o.Work.Alloc), "latency", o.Work.Latency.String(),
			"errorRate", o.Work.ErrorRate, "payload", formatByteSize(o.Work.Payload)),
		"shutdownMode", o.ShutdownMode, "drainDelay", o.DrainDelay.String(), "shutdownTimeout", o.ShutdownTimeout.String(),
		"exitCode", o.ExitCode, "panicAfter", o.PanicAfter.String(), "leakRate", formatByteSize(o.LeakRate),
		"configFile", o.ConfigFile, "configReload", o.ConfigReload, "logLevel", o.LogLevel.String(),
	}
}
