#!/bin/bash
# A demo node: this container's own dockerd, then skiff-kubelet, skiff-proxy and skiff-dns
# against the control plane's apiserver (HTTPS, with the CA the control plane shares in
# /etc/skiff/cluster). The node's name is the container's hostname; its InternalIP is its
# address on the demo network (eth0).
set -euo pipefail
source /opt/skiff/bin/supervise.sh

NODE_NAME=$(hostname)
NODE_IP=$(own_ip eth0)
CLUSTER_DIR=/etc/skiff/cluster
REGISTRY=${SKIFF_REGISTRY:-registry.skiff:5000}
say "node $NODE_NAME, InternalIP $NODE_IP"

# Docker mounts /sys read-only in a container that is not privileged; the kubelet puts
# each pod's bridge port in hairpin mode through it.
mount -o remount,rw /sys || say "warning: /sys stays read-only (no hairpin mode for pods)"

# Pods' containers go into a cgroup under this container's own, so `docker stats` on the
# node counts them, as it would count a machine's.
CGROUP_PARENT=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)

# The pods' network is the kubelet's bridge: dockerd makes no bridge and no iptables rules.
supervise dockerd dockerd \
    --insecure-registry "$REGISTRY" \
    --bridge none --iptables=false --ip-masq=false \
    --storage-driver overlay2 \
    --cgroup-parent "${CGROUP_PARENT:-/skiff-node}" \
    --log-level warn
wait_for 60 "dockerd" docker info

# The pause image is built on the host (no registry serves skiff/pause:3.9).
docker load --quiet --input /opt/skiff/images/pause.tar

wait_for 300 "the control plane's kubeconfig" test -s "$CLUSTER_DIR/kubeconfig"
KUBECONFIG_FILE=$CLUSTER_DIR/kubeconfig

# The pod range comes from the controller-manager's node IPAM (spec.podCIDR), the bridge
# is the kubelet's default (skiff0). The service range's sink is skiff-proxy's device
# (skiff-svc, where skiff-dns answers), so the node has one sink, not two.
supervise kubelet skiff-kubelet --kubeconfig "$KUBECONFIG_FILE" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --cluster-cidr 10.244.0.0/16 --service-cluster-ip-range 10.96.0.0/12 \
    --service-device skiff-svc
supervise dns skiff-dns --kubeconfig "$KUBECONFIG_FILE"

# Both the kubelet and the proxy put their jump first in FORWARD; the proxy's (REJECT for
# Services without endpoints) must end up above the kubelet's (ACCEPT everything on the
# bridge), or a pod's connection to such a Service hangs instead of being refused. The
# kubelet adds its jump once node IPAM has given the node its podCIDR, so the proxy
# starts after that.
wait_for 300 "the kubelet's pod network" iptables -w -C FORWARD -j SKIFF-FWD-skiff0
supervise proxy skiff-proxy --kubeconfig "$KUBECONFIG_FILE" --hostname-override "$NODE_NAME"

wait
