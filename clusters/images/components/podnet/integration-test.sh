#!/usr/bin/env bash
# integration-test.sh — podnet against a real API server, without kind.
#
# Starts etcd and kube-apiserver from the images build.sh made, on a private docker network,
# registers fake Node objects (no kubelets; only spec.podCIDRs and InternalIP matter to podnet),
# runs the podnet image as one of them in its own network namespace, and checks what it did
# there: the CNI conflist, the routes to the other nodes' pod CIDRs (added and removed as nodes
# come and go), and the masquerade rules (installed once, however many resyncs).
#
# Needs: a Docker engine and `clusters/images/kubernetes/build.sh` outputs. Takes ~30 s.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail

cache_root=${PROBELAB_CACHE_DIR:-$HOME/.cache/probelab}
out=$cache_root/build/kubernetes
versions_file=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/versions.env
kube_version=$(sed -n 's/^KUBERNETES_VERSION=//p' "$versions_file")
etcd_tag=$(sed -n 's/^ETCD_VERSION=v//p' "$versions_file")-0
podnet_tag=$(sed -n 's/^PODNET_VERSION=//p' "$versions_file")
manifest=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../kubernetes" && pwd)/default-cni.yaml

for f in "$out/bin/kubeadm" "$out/bin/kubectl"; do
  [[ -x $f ]] || { echo "integration-test: $f is missing; run clusters/images/kubernetes/build.sh first" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "integration-test: no Docker engine answers; start one with clusters/engine/ensure-engine.sh" >&2; exit 2; }

run_id=podnet-it-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/$run_id.XXXXXX")
cleanup() {
  docker rm -f "$run_id-podnet" "$run_id-apiserver" "$run_id-etcd" >/dev/null 2>&1 || true
  docker network rm "$run_id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $what"; else failed=$((failed + 1)); echo "FAIL $what"; fi
}

# wait_for SECONDS COMMAND... retries COMMAND once a second until it succeeds or time runs out.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

apiserver=$run_id-apiserver
"$out/bin/kubeadm" init phase certs all --kubernetes-version "$kube_version" --cert-dir "$work/pki" \
  --apiserver-cert-extra-sans "$apiserver" --control-plane-endpoint "$apiserver:6443" >/dev/null
"$out/bin/kubeadm" init phase kubeconfig super-admin --kubernetes-version "$kube_version" --cert-dir "$work/pki" \
  --kubeconfig-dir "$work" --control-plane-endpoint "$apiserver:6443" >/dev/null

docker network create "$run_id" >/dev/null
# The fake nodes' InternalIPs must be on-link for podnet's routes: take them from this network.
gateway=$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$run_id")
net_prefix=${gateway%.*}
docker run -d --name "$run_id-etcd" --network "$run_id" "registry.k8s.io/etcd:$etcd_tag" etcd \
  --data-dir=/tmp/etcd --listen-client-urls=http://0.0.0.0:2379 --advertise-client-urls="http://$run_id-etcd:2379" >/dev/null
docker run -d --name "$apiserver" --network "$run_id" -v "$work/pki:/pki:ro" "registry.k8s.io/kube-apiserver:$kube_version" \
  kube-apiserver --etcd-servers="http://$run_id-etcd:2379" --secure-port=6443 \
  --tls-cert-file=/pki/apiserver.crt --tls-private-key-file=/pki/apiserver.key --client-ca-file=/pki/ca.crt \
  --service-account-key-file=/pki/sa.pub --service-account-signing-key-file=/pki/sa.key \
  --service-account-issuer=https://kubernetes.default.svc --authorization-mode=Node,RBAC \
  --service-cluster-ip-range=10.96.0.0/12 >/dev/null
apiserver_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$run_id\").IPAddress}}" "$apiserver")
kubectl() { "$out/bin/kubectl" --kubeconfig "$work/super-admin.conf" --server "https://$apiserver_ip:6443" --tls-server-name "$apiserver" "$@"; }
wait_for 60 kubectl get --raw /readyz || { docker logs "$apiserver" 2>&1 | tail -20; echo "integration-test: API server not ready in 60 s" >&2; exit 1; }

add_node() { # NAME POD_CIDR INTERNAL_IP
  printf 'apiVersion: v1\nkind: Node\nmetadata: {name: %s}\nspec: {podCIDR: "%s", podCIDRs: ["%s"]}\n' "$1" "$2" "$2" | kubectl apply -f - >/dev/null
  kubectl patch node "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"$3\"}]}}" >/dev/null
}

# Everything in the real manifest except the DaemonSet: podnet runs with its real RBAC.
awk 'BEGIN{RS="\n---\n"} !/\nkind: DaemonSet/ {print; print "---"}' "$manifest" | kubectl apply -f - >/dev/null
add_node it-node-a 10.244.0.0/24 "$net_prefix.10"
add_node it-node-b 10.244.1.0/24 "$net_prefix.11"
mkdir -p "$work/sa" "$work/cni"
kubectl -n kube-system create token podnet >"$work/sa/token"
cp "$work/pki/ca.crt" "$work/sa/ca.crt"

docker run -d --name "$run_id-podnet" --network "$run_id" --cap-add NET_ADMIN --cap-add NET_RAW \
  -v "$work/cni:/etc/cni/net.d" -v "$work/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
  -e NODE_NAME=it-node-a -e "HOST_IP=$net_prefix.10" -e POD_SUBNET=10.244.0.0/16 -e "CONTROL_PLANE_ENDPOINT=$apiserver:6443" \
  "docker.io/probelab/podnet:$podnet_tag" --resync=2s >/dev/null
in_podnet() { docker exec "$run_id-podnet" "$@"; }

conflist=$work/cni/10-podnet.conflist
check "podnet writes the CNI conflist" wait_for 20 test -s "$conflist"
check "conflist uses this node's pod CIDR" grep -q '"subnet": "10.244.0.0/24"' "$conflist"
check "conflist chains ptp and portmap" bash -c "grep -q '\"type\": \"ptp\"' '$conflist' && grep -q '\"type\": \"portmap\"' '$conflist'"
check "route to it-node-b's pods" wait_for 10 bash -c "docker exec $run_id-podnet ip route show proto 112 | grep -q '10.244.1.0/24 via $net_prefix.11'"
check "masquerade chain installed" bash -c "docker exec $run_id-podnet iptables -t nat -S PODNET-MASQUERADE 2>/dev/null | grep -q 'MASQUERADE --random-fully'"

add_node it-node-c 10.244.2.0/24 "$net_prefix.12"
kubectl delete node it-node-b >/dev/null
check "route to a new node appears" wait_for 10 bash -c "docker exec $run_id-podnet ip route show proto 112 | grep -q '10.244.2.0/24 via $net_prefix.12'"
check "route to a deleted node goes" wait_for 10 bash -c "! docker exec $run_id-podnet ip route show proto 112 | grep -q '10.244.1.0/24'"
sleep 5 # at least two resyncs
check "POSTROUTING jump installed exactly once" bash -c "[ \"\$(docker exec $run_id-podnet iptables -t nat -S POSTROUTING 2>/dev/null | grep -c PODNET-MASQUERADE)\" = 1 ]"
check "podnet is still running" bash -c "[ \"\$(docker inspect -f '{{.State.Running}}' $run_id-podnet)\" = true ]"
check "podnet logged no errors" bash -c "! docker logs $run_id-podnet 2>&1 | grep -E 'level=ERROR|Warning'"

if ((failed)); then
  echo "--- podnet log"; docker logs "$run_id-podnet" 2>&1 | tail -20
fi
echo "$passed passed, $failed failed"
((failed == 0))
