"""The seeds' manifests (course slides and "Kubernetes: The Definitive Guide"), updated
to today's API versions, plus a few small objects the tests share."""

from __future__ import annotations

NGINX_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.9
        ports:
        - containerPort: 80
"""

REDIS_SLAVE_RC = """\
apiVersion: v1
kind: ReplicationController
metadata:
  name: redis-slave
  labels:
   name: redis-slave
spec:
  replicas: 2
  selector:
    name: redis-slave
  template:
    metadata:
      labels:
        name: redis-slave
    spec:
      containers:
      - name: slave
        image: redis-slave
        ports:
        - containerPort: 6379
"""

NODEPORT_SERVICE = """\
{
    "kind": "Service",
    "apiVersion": "v1",
    "metadata": {
        "name": "my-service"
    },
    "spec": {
        "selector": {
            "app": "MyApp"
        },
        "ports": [
            {
                "protocol": "TCP",
                "port": 1234,
                "targetPort": 9376,
                "nodePort": %d
            }
        ],
        "type": "NodePort"
    }
}
"""


def labelled_pod(name: str, labels: dict[str, str], node: str | None = None,
                 image: str = "nginx") -> str:
    label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
    node_line = f"\n  nodeName: {node}" if node else ""
    return f"""\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{{label_text}}}
spec:{node_line}
  containers:
  - name: main
    image: {image}
"""


def node(name: str) -> str:
    return f"""\
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels: {{kubernetes.io/hostname: {name}}}
status:
  capacity: {{cpu: "2", memory: 4Gi, pods: "110"}}
  allocatable: {{cpu: "2", memory: 4Gi, pods: "110"}}
  addresses: [{{type: InternalIP, address: 10.0.0.5}}, {{type: Hostname, address: {name}}}]
  nodeInfo: {{kubeletVersion: v1.32.0, osImage: Debian, kernelVersion: "6.1", architecture: amd64,
             operatingSystem: linux, containerRuntimeVersion: docker://20.10, machineID: m,
             systemUUID: s, bootID: b, kubeProxyVersion: v1.32.0}}
"""
