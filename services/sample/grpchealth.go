package main

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// grpcServiceName is the service name, besides "" (the whole server), under
// which grpc.health.v1 reports status.
const grpcServiceName = "sample"

// newGRPCHealthServer returns a gRPC server offering only grpc.health.v1,
// whose status follows readiness: SERVING in state ready, NOT_SERVING in
// every other state. Kubernetes gRPC probes and grpc_health_probe see the
// same answer as /readyz.
func newGRPCHealthServer(life *lifecycle) *grpc.Server {
	healthServer := health.NewServer()
	life.observe(func(s State) {
		status := healthpb.HealthCheckResponse_NOT_SERVING
		if s == StateReady {
			status = healthpb.HealthCheckResponse_SERVING
		}
		healthServer.SetServingStatus("", status)
		healthServer.SetServingStatus(grpcServiceName, status)
	})
	server := grpc.NewServer()
	healthpb.RegisterHealthServer(server, healthServer)
	return server
}
