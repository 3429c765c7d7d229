module probelab.local/clusters/images/podnet

go 1.24.0
