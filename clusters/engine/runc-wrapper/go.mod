module probelab.dev/clusters/engine/runc-wrapper

go 1.26
