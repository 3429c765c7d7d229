module probelab.local/clusters/images/pause

go 1.24.0
