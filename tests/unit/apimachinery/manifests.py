"""Realistic manifests, as users write them and as components report status.

They are YAML so they read like what people ``kubectl apply``; the tests load them
into plain data with :func:`load`.
"""

from __future__ import annotations

from typing import Any

import yaml

NGINX_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  namespace: default
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
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""

REDIS_MASTER_RC = """
apiVersion: v1
kind: ReplicationController
metadata:
  name: redis-master
  namespace: default
  labels:
    name: redis-master
spec:
  replicas: 1
  selector:
    name: redis-master
  template:
    metadata:
      labels:
        name: redis-master
    spec:
      containers:
      - name: master
        image: kubeguide/redis-master
        ports:
        - containerPort: 6379
"""

NODEPORT_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: myweb
  namespace: default
spec:
  type: NodePort
  ports:
  - name: http
    port: 8080
    targetPort: 8080
    nodePort: 30001
  - name: metrics
    port: 9090
    targetPort: metrics
    protocol: TCP
    appProtocol: http
  selector:
    app: myweb
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 3600
  externalTrafficPolicy: Local
"""

PI_JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  namespace: default
spec:
  backoffLimit: 4
  activeDeadlineSeconds: 600
  ttlSecondsAfterFinished: 100
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
"""

WEB_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    tier: frontend
  annotations:
    example.com/owner: team-a
spec:
  serviceAccountName: web
  automountServiceAccountToken: false
  priorityClassName: high
  nodeSelector:
    disktype: ssd
  hostname: web-0
  subdomain: web
  terminationGracePeriodSeconds: 45
  activeDeadlineSeconds: 3600
  shareProcessNamespace: true
  enableServiceLinks: false
  dnsPolicy: None
  dnsConfig:
    nameservers: ["10.96.0.10"]
    searches: ["shop.svc.cluster.local", "svc.cluster.local"]
    options:
    - name: ndots
      value: "2"
  hostAliases:
  - ip: 127.0.0.1
    hostnames: ["foo.local", "bar.local"]
  imagePullSecrets:
  - name: registry-key
  readinessGates:
  - conditionType: example.com/feature-1
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    runAsNonRoot: true
    fsGroup: 2000
    supplementalGroups: [4000]
    sysctls:
    - name: net.core.somaxconn
      value: "1024"
    seccompProfile:
      type: RuntimeDefault
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - key: kubernetes.io/os
            operator: In
            values: [linux]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        preference:
          matchExpressions:
          - key: zone
            operator: NotIn
            values: [zone-c]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector:
            matchLabels:
              app: web
          topologyKey: kubernetes.io/hostname
  tolerations:
  - key: dedicated
    operator: Equal
    value: web
    effect: NoSchedule
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        app: web
  initContainers:
  - name: migrate
    image: registry.example.com/shop/migrate:2.1
    command: ["/bin/migrate"]
    args: ["--up"]
    env:
    - name: DB_URL
      valueFrom:
        secretKeyRef:
          name: db
          key: url
  containers:
  - name: app
    image: registry.example.com/shop/web:2.1
    imagePullPolicy: IfNotPresent
    workingDir: /srv
    command: ["/srv/web"]
    args: ["--port=8080"]
    ports:
    - name: http
      containerPort: 8080
      protocol: TCP
    - name: metrics
      containerPort: 9090
      hostPort: 9090
      hostIP: 0.0.0.0
    env:
    - name: MODE
      value: production
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: POD_IP
      valueFrom:
        fieldRef:
          apiVersion: v1
          fieldPath: status.podIP
    - name: MEMORY_LIMIT
      valueFrom:
        resourceFieldRef:
          containerName: app
          resource: limits.memory
          divisor: 1Mi
    - name: THEME
      valueFrom:
        configMapKeyRef:
          name: web-config
          key: theme
          optional: true
    envFrom:
    - prefix: CFG_
      configMapRef:
        name: web-config
    - secretRef:
        name: web-secrets
        optional: false
    resources:
      requests:
        cpu: 250m
        memory: 64Mi
      limits:
        cpu: 1
        memory: 128Mi
    volumeMounts:
    - name: cache
      mountPath: /cache
    - name: config
      mountPath: /etc/web
      readOnly: true
    - name: podinfo
      mountPath: /etc/podinfo
    - name: token
      mountPath: /var/run/secrets/tokens
    - name: data
      mountPath: /data
      subPath: web
    - name: logs
      mountPath: /var/log/web
      mountPropagation: HostToContainer
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
        scheme: HTTP
        httpHeaders:
        - name: X-Probe
          value: liveness
      initialDelaySeconds: 15
      periodSeconds: 20
      timeoutSeconds: 2
      failureThreshold: 3
      terminationGracePeriodSeconds: 10
    readinessProbe:
      tcpSocket:
        port: 8080
      periodSeconds: 5
    startupProbe:
      exec:
        command: ["cat", "/tmp/started"]
      failureThreshold: 30
      periodSeconds: 1
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo started > /tmp/started"]
      preStop:
        httpGet:
          path: /drain
          port: 8080
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      runAsNonRoot: true
      capabilities:
        add: [NET_BIND_SERVICE]
        drop: [ALL]
    stdin: false
    tty: false
  - name: sidecar
    image: busybox
    command: ["sh", "-c", "tail -f /var/log/web/access.log"]
    stdin: true
    stdinOnce: true
    tty: true
    readinessProbe:
      grpc:
        port: 9090
        service: health
    volumeMounts:
    - name: logs
      mountPath: /var/log/web
      readOnly: true
  volumes:
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 64Mi
  - name: config
    configMap:
      name: web-config
      defaultMode: 0644
      items:
      - key: web.conf
        path: web.conf
        mode: 0400
  - name: secrets
    secret:
      secretName: web-secrets
      optional: true
  - name: podinfo
    downwardAPI:
      items:
      - path: labels
        fieldRef:
          fieldPath: metadata.labels
      - path: cpu_limit
        resourceFieldRef:
          containerName: app
          resource: limits.cpu
          divisor: 1m
  - name: token
    projected:
      sources:
      - serviceAccountToken:
          audience: vault
          expirationSeconds: 7200
          path: vault-token
      - configMap:
          name: web-config
          items:
          - key: ca.crt
            path: ca.crt
      - secret:
          name: web-secrets
      - downwardAPI:
          items:
          - path: namespace
            fieldRef:
              fieldPath: metadata.namespace
  - name: data
    persistentVolumeClaim:
      claimName: web-data
      readOnly: false
  - name: logs
    hostPath:
      path: /var/log/web
      type: DirectoryOrCreate
  - name: shared
    nfs:
      server: nfs.example.com
      path: /exports/shared
      readOnly: true
"""

RUNNING_POD_STATUS = """
apiVersion: v1
kind: Pod
metadata:
  name: redis-master-x7k2p
  namespace: default
  uid: 5d7f6a1e-0b7c-4c44-9d2b-6f1e2a3b4c5d
  resourceVersion: "4711"
  creationTimestamp: "2024-05-01T10:00:00Z"
  ownerReferences:
  - apiVersion: v1
    kind: ReplicationController
    name: redis-master
    uid: 0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f
    controller: true
    blockOwnerDeletion: true
spec:
  nodeName: node-1
  containers:
  - name: master
    image: kubeguide/redis-master
status:
  phase: Running
  qosClass: BestEffort
  hostIP: 192.168.1.10
  hostIPs:
  - ip: 192.168.1.10
  podIP: 10.244.1.7
  podIPs:
  - ip: 10.244.1.7
  startTime: "2024-05-01T10:00:01Z"
  conditions:
  - type: PodScheduled
    status: "True"
    lastProbeTime: null
    lastTransitionTime: "2024-05-01T10:00:00Z"
  - type: Ready
    status: "True"
    lastTransitionTime: "2024-05-01T10:00:05Z"
  containerStatuses:
  - name: master
    image: kubeguide/redis-master:latest
    imageID: docker-pullable://kubeguide/redis-master@sha256:0123abcd
    containerID: docker://9f8e7d6c5b4a
    ready: true
    started: true
    restartCount: 2
    state:
      running:
        startedAt: "2024-05-01T10:00:04Z"
    lastState:
      terminated:
        exitCode: 137
        signal: 9
        reason: OOMKilled
        message: killed
        startedAt: "2024-05-01T10:00:02Z"
        finishedAt: "2024-05-01T10:00:03Z"
        containerID: docker://1a2b3c4d
  initContainerStatuses:
  - name: init
    image: busybox:latest
    imageID: docker-pullable://busybox@sha256:feedbeef
    ready: false
    restartCount: 0
    state:
      waiting:
        reason: PodInitializing
"""

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    kubernetes.io/hostname: node-1
    kubernetes.io/os: linux
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24]
  providerID: skiff://node-1
  unschedulable: false
  taints:
  - key: dedicated
    value: web
    effect: NoSchedule
  - key: node.kubernetes.io/not-ready
    effect: NoExecute
    timeAdded: "2024-05-01T10:00:00Z"
status:
  capacity:
    cpu: "4"
    memory: 8148364Ki
    pods: "110"
  allocatable:
    cpu: 3800m
    memory: 7945612Ki
    pods: "110"
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
    lastHeartbeatTime: "2024-05-01T10:05:00Z"
    lastTransitionTime: "2024-05-01T10:00:00Z"
  addresses:
  - type: InternalIP
    address: 192.168.1.10
  - type: Hostname
    address: node-1
  daemonEndpoints:
    kubeletEndpoint:
      Port: 10250
  nodeInfo:
    machineID: 0123456789abcdef
    systemUUID: 4C4C4544-0037-4B10-8030-B7C04F4E4A32
    bootID: 1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901
    kernelVersion: 6.1.0-18-amd64
    osImage: Debian GNU/Linux 12 (bookworm)
    containerRuntimeVersion: docker://24.0.7
    kubeletVersion: v1.32.0-skiff
    kubeProxyVersion: v1.32.0-skiff
    operatingSystem: linux
    architecture: amd64
  images:
  - names: ["nginx@sha256:abc", "nginx:1.14.2"]
    sizeBytes: 109331234
"""

WEB_STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: default
spec:
  serviceName: db
  replicas: 3
  podManagementPolicy: Parallel
  minReadySeconds: 5
  ordinals:
    start: 1
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Delete
    whenScaled: Retain
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: db
        image: postgres:16
        volumeMounts:
        - name: pgdata
          mountPath: /var/lib/postgresql/data
  volumeClaimTemplates:
  - metadata:
      name: pgdata
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: local
      resources:
        requests:
          storage: 1Gi
"""

LOG_DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd
  namespace: kube-system
spec:
  selector:
    matchLabels:
      name: fluentd
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 10%
  template:
    metadata:
      labels:
        name: fluentd
    spec:
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd
        image: fluentd:v1.16
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
"""

MISC_OBJECTS = """
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: default
type: Opaque
data:
  url: cG9zdGdyZXM6Ly9kYg==
immutable: true
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: default
data:
  theme: dark
  web.conf: |
    listen 8080
binaryData:
  logo.png: iVBORw0KGgo=
---
apiVersion: v1
kind: Event
metadata:
  name: web.17c3a8f2
  namespace: shop
involvedObject:
  apiVersion: v1
  kind: Pod
  name: web
  namespace: shop
  uid: 5d7f6a1e-0b7c-4c44-9d2b-6f1e2a3b4c5d
  fieldPath: spec.containers{app}
reason: Pulled
message: Successfully pulled image
source:
  component: kubelet
  host: node-1
firstTimestamp: "2024-05-01T10:00:02Z"
lastTimestamp: "2024-05-01T10:00:09Z"
count: 3
type: Normal
reportingComponent: kubelet
reportingInstance: node-1
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: node-1
  namespace: kube-node-lease
spec:
  holderIdentity: node-1
  leaseDurationSeconds: 40
  acquireTime: "2024-05-01T10:00:00.000000Z"
  renewTime: "2024-05-01T10:05:00.123456Z"
  leaseTransitions: 2
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: default
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, watch, list]
- apiGroups: [apps]
  resources: [deployments]
  resourceNames: [web]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: read-pods
  namespace: default
subjects:
- kind: User
  name: jane
  apiGroup: rbac.authorization.k8s.io
- kind: ServiceAccount
  name: web
  namespace: shop
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      rbac.example.com/aggregate-to-monitoring: "true"
rules:
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: monitoring
subjects:
- kind: Group
  name: system:monitoring
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: ClusterRole
  name: monitoring
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: v1
kind: Endpoints
metadata:
  name: myweb
  namespace: default
subsets:
- addresses:
  - ip: 10.244.1.7
    nodeName: node-1
    targetRef:
      kind: Pod
      name: myweb-abcde
      namespace: default
      uid: 5d7f6a1e-0b7c-4c44-9d2b-6f1e2a3b4c5d
  notReadyAddresses:
  - ip: 10.244.2.9
    hostname: myweb-1
  ports:
  - name: http
    port: 8080
    protocol: TCP
    appProtocol: http
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
spec:
  finalizers: [kubernetes]
status:
  phase: Active
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
automountServiceAccountToken: false
secrets:
- name: web-token
imagePullSecrets:
- name: registry-key
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
  namespace: shop
spec:
  hard:
    requests.cpu: "4"
    limits.memory: 8Gi
    pods: "20"
  scopeSelector:
    matchExpressions:
    - scopeName: PriorityClass
      operator: In
      values: [high]
status:
  hard:
    pods: "20"
  used:
    pods: "3"
---
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: shop
spec:
  limits:
  - type: Container
    max:
      cpu: "2"
    min:
      cpu: 100m
    default:
      cpu: 500m
    defaultRequest:
      cpu: 250m
    maxLimitRequestRatio:
      cpu: "4"
---
apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: fluentd-6b9c7d8f
  namespace: kube-system
data:
  spec:
    template:
      $patch: replace
      spec:
        containers:
        - name: fluentd
          image: fluentd:v1.16
revision: 3
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  namespace: default
spec:
  replicas: 2
  minReadySeconds: 10
  selector:
    matchExpressions:
    - key: tier
      operator: In
      values: [frontend]
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      containers:
      - name: php-redis
        image: gcr.io/google_samples/gb-frontend:v3
status:
  replicas: 2
  readyReplicas: 2
  availableReplicas: 2
  fullyLabeledReplicas: 2
  observedGeneration: 1
"""

DEPLOYMENT_STATUS = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  generation: 4
spec:
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  minReadySeconds: 5
  revisionHistoryLimit: 3
  paused: false
  progressDeadlineSeconds: 120
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: web:2
status:
  observedGeneration: 4
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 2
  availableReplicas: 2
  unavailableReplicas: 1
  collisionCount: 1
  conditions:
  - type: Available
    status: "False"
    reason: MinimumReplicasUnavailable
    message: Deployment does not have minimum availability.
    lastUpdateTime: "2024-05-01T10:00:00Z"
    lastTransitionTime: "2024-05-01T10:00:00Z"
  - type: Progressing
    status: "True"
    reason: NewReplicaSetAvailable
    lastUpdateTime: "2024-05-01T10:01:00Z"
    lastTransitionTime: "2024-05-01T09:00:00Z"
"""

JOB_STATUS = """
apiVersion: batch/v1
kind: Job
metadata:
  name: work-queue
  namespace: default
spec:
  parallelism: 3
  completions: 6
  completionMode: Indexed
  suspend: false
  manualSelector: true
  selector:
    matchLabels:
      job: work-queue
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        containerName: worker
        operator: In
        values: [42]
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
        status: "True"
  template:
    metadata:
      labels:
        job: work-queue
    spec:
      restartPolicy: OnFailure
      containers:
      - name: worker
        image: worker:1
status:
  startTime: "2024-05-01T10:00:00Z"
  active: 3
  succeeded: 2
  failed: 1
  ready: 3
  completedIndexes: 0-1
  uncountedTerminatedPods: {}
  conditions:
  - type: Complete
    status: "False"
    lastProbeTime: "2024-05-01T10:00:00Z"
    lastTransitionTime: "2024-05-01T10:00:00Z"
"""

ALL = (
    NGINX_DEPLOYMENT,
    REDIS_MASTER_RC,
    NODEPORT_SERVICE,
    PI_JOB,
    WEB_POD,
    RUNNING_POD_STATUS,
    NODE,
    WEB_STATEFULSET,
    LOG_DAEMONSET,
    MISC_OBJECTS,
    DEPLOYMENT_STATUS,
    JOB_STATUS,
)


def load(text: str) -> dict[str, Any]:
    """One manifest as plain data, as a client would send it."""
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def load_all() -> list[dict[str, Any]]:
    return [doc for text in ALL for doc in yaml.safe_load_all(text) if doc]
