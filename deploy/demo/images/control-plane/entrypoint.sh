#!/bin/bash
# The demo's control plane: etcd, skiff-apiserver, skiff-scheduler and
# skiff-controller-manager, plus skiff-proxy so that this machine has routes to every
# node's pods (the `kubernetes` Service's replies to pods come from here).
#
# The apiserver serves HTTPS on 6443 with the CA it generates in /var/lib/skiff/pki;
# the nodes' kubeconfig (server https://<this address>:6443, that CA) is written to
# /var/lib/skiff/cluster, a volume the nodes mount. Local components use plain HTTP on
# 127.0.0.1:8080, which never leaves this container.
set -euo pipefail
source /opt/skiff/bin/supervise.sh

IP=$(own_ip eth0)
DATA=/var/lib/skiff
SHARED=$DATA/cluster
LOCAL_KUBECONFIG=$DATA/local.kubeconfig
say "control plane at $IP"

mkdir -p -m 0700 "$DATA/etcd"
supervise etcd etcd --name skiff --data-dir "$DATA/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster skiff=http://127.0.0.1:2380 --logger zap --log-outputs stderr \
    --log-level warn
wait_for 60 "etcd" http_ok http://127.0.0.1:2379/health

supervise apiserver skiff-apiserver --etcd-servers http://127.0.0.1:2379 \
    --insecure-bind-address 127.0.0.1 --insecure-port 8080 \
    --bind-address 0.0.0.0 --secure-port 6443 --advertise-address "$IP" \
    --cert-dir "$DATA/pki" \
    --service-cluster-ip-range 10.96.0.0/12 --service-node-port-range 30000-32767
wait_for 120 "apiserver" http_ok http://127.0.0.1:8080/readyz

cat > "$LOCAL_KUBECONFIG" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "http://127.0.0.1:8080"}}]
users: [{name: local, user: {}}]
contexts: [{name: local, context: {cluster: local, user: local}}]
current-context: local
YAML

# The nodes' kubeconfig, written last and atomically: a node waits for this file.
mkdir -p "$SHARED"
cp "$DATA/pki/ca.crt" "$SHARED/ca.crt"
cat > "$SHARED/kubeconfig.tmp" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: skiff-demo, cluster: {server: "https://$IP:6443", certificate-authority: ca.crt}}]
users: [{name: skiff-demo, user: {}}]
contexts: [{name: skiff-demo, context: {cluster: skiff-demo, user: skiff-demo}}]
current-context: skiff-demo
YAML
mv "$SHARED/kubeconfig.tmp" "$SHARED/kubeconfig"

supervise scheduler skiff-scheduler --kubeconfig "$LOCAL_KUBECONFIG" --leader-elect=false
supervise controller-manager skiff-controller-manager --kubeconfig "$LOCAL_KUBECONFIG" \
    --leader-elect=false --allocate-node-cidrs=true --cluster-cidr 10.244.0.0/16 \
    --node-monitor-grace-period "${NODE_MONITOR_GRACE_PERIOD:-20s}" \
    --node-monitor-period "${NODE_MONITOR_PERIOD:-2s}" \
    --pod-eviction-timeout "${POD_EVICTION_TIMEOUT:-10s}"
supervise proxy skiff-proxy --kubeconfig "$LOCAL_KUBECONFIG" --hostname-override "$(hostname)"

wait
