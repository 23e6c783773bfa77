"""What ``kubectl explain`` says about each kind and field, in skiff's own words.

Kept apart from :mod:`apiserver.openapi` because it is prose, not logic. Types are keyed
by model class name, fields by ``Class.wireName``; a field missing here is served
without a description (``kubectl explain`` prints ``<no description>``). Every line
should stay short and true of skiff.
"""

from __future__ import annotations

__all__ = ["FIELDS", "GENERIC_FIELDS", "TYPES"]

GENERIC_FIELDS: dict[str, str] = {
    "apiVersion": "The versioned schema of this object, such as v1 or apps/v1. The server "
                  "converts recognised values and rejects others.",
    "kind": "The type of this object, in CamelCase, such as Pod. It follows from the "
            "endpoint a request was sent to and cannot be changed.",
    "metadata": "Standard object metadata: name, namespace, labels, annotations, owners.",
    "spec": "The desired state, written by the user or the controller that owns the object.",
    "status": "The most recently observed state, written by the system. Read-only for "
              "users; change it through the status subresource.",
}

TYPES: dict[str, str] = {
    # well-known scalars
    "Quantity": "A fixed-point number with an optional suffix: 100m, 0.5, 128Mi, 1G, 2e3.",
    "IntOrString": "A value that is either an integer or a string such as \"25%\" or a port name.",
    "Time": "A timestamp in RFC 3339 form, with second precision, in UTC.",
    "MicroTime": "A timestamp in RFC 3339 form, with microsecond precision, in UTC.",
    "Patch": "The body of a PATCH request: a JSON patch, a JSON merge patch or a strategic "
             "merge patch, as the Content-Type says.",
    # meta/v1
    "ObjectMeta": "Metadata every persisted object carries.",
    "ListMeta": "Metadata of a list: the revision it was read at and the token of the next page.",
    "OwnerReference": "Names an object that owns this one. When every owner is gone the "
                      "garbage collector deletes the dependent.",
    "LabelSelector": "A label query. matchLabels and matchExpressions are ANDed; an empty "
                     "selector matches everything, a null one nothing.",
    "LabelSelectorRequirement": "One expression of a label selector: a key, an operator and values.",
    "ManagedFieldsEntry": "Which manager changed which fields; kept as sent.",
    "Status": "The result of a call that returns no object, and the shape of every error.",
    "DeleteOptions": "Options for a delete: grace period, preconditions, what happens to dependents.",
    "Condition": "One aspect of an object's current state.",
    # core/v1 kinds
    "Pod": "A group of containers that share network and storage and are scheduled together "
           "onto one node. Skiff's kubelet runs them with Docker, behind a pause container.",
    "PodSpec": "What a pod runs and how: containers, volumes, restart policy, placement.",
    "PodStatus": "The observed state of a pod: its phase, conditions and each container's state.",
    "PodTemplateSpec": "The pods a workload controller creates: their metadata and spec.",
    "PodCondition": "One condition of a pod: PodScheduled, Initialized, ContainersReady or Ready.",
    "Container": "One container of a pod: its image, command, environment, ports, resources "
                 "and probes.",
    "EphemeralContainer": "A container added to a running pod for debugging.",
    "ContainerPort": "A port a container listens on; listing it is informational.",
    "ContainerStatus": "The kubelet's view of one container.",
    "ContainerState": "Exactly one of waiting, running or terminated; none means waiting.",
    "EnvVar": "An environment variable: a literal value or one read from elsewhere.",
    "EnvVarSource": "Where an environment variable's value comes from.",
    "EnvFromSource": "A ConfigMap or Secret whose every key becomes an environment variable.",
    "ResourceRequirements": "Compute resources a container asks for (requests) and may not "
                            "exceed (limits).",
    "Probe": "A check the kubelet runs against a container: exactly one action, and when "
             "and how often to run it.",
    "ExecAction": "Runs a command inside the container; exit status 0 is success.",
    "HTTPGetAction": "An HTTP GET; a status from 200 to 399 is success.",
    "TCPSocketAction": "Opens a TCP connection; success when it is accepted.",
    "GRPCAction": "Calls the gRPC health checking service.",
    "Lifecycle": "Actions the kubelet runs right after a container starts and before it stops.",
    "LifecycleHandler": "One lifecycle action: exactly one of exec, httpGet, tcpSocket or sleep.",
    "VolumeMount": "Where a pod volume appears inside a container.",
    "Volume": "A named volume of the pod, with exactly one source.",
    "SecurityContext": "Security settings of one container; they override the pod's.",
    "PodSecurityContext": "Security settings for every container of the pod.",
    "Affinity": "Rules that attract a pod to or repel it from nodes and other pods.",
    "Toleration": "Lets a pod schedule onto (or stay on) nodes with a matching taint.",
    "Namespace": "A scope for names. Deleting a namespace deletes everything in it.",
    "Node": "A machine that runs pods; its kubelet registers it and reports its status.",
    "NodeSpec": "How a node is configured: its pod CIDR, taints, and whether it takes new pods.",
    "NodeStatus": "A node's capacity, conditions, addresses and system information.",
    "Taint": "Repels pods that do not tolerate it.",
    "Service": "A stable virtual IP and DNS name in front of the pods its selector picks; "
               "skiff's proxy programs iptables for it.",
    "ServiceSpec": "How a service picks its pods and which ports it exposes.",
    "ServicePort": "One port a service exposes and the pod port it forwards to.",
    "Endpoints": "The addresses that currently back a service, kept by the endpoints controller.",
    "EndpointSubset": "A set of addresses that share a set of ports.",
    "ReplicationController": "The predecessor of ReplicaSet: keeps a number of pod replicas "
                             "running, selected by an equality-based label map.",
    "ConfigMap": "Non-secret configuration data for pods to read as files or environment variables.",
    "Secret": "Sensitive data (passwords, tokens, keys) for pods; values are base64 in data.",
    "ServiceAccount": "An identity for the processes that run in a pod.",
    "Event": "A report of something that happened to an object, shown by kubectl describe.",
    "ResourceQuota": "Limits on the total resources and object counts of a namespace.",
    "LimitRange": "Default and bounding resource values for containers in a namespace.",
    "Binding": "Ties a pod to a node: what the scheduler posts to pods/binding.",
    # apps/v1
    "Deployment": "Declarative updates for pods: the deployment controller rolls a "
                  "ReplicaSet per pod template revision.",
    "DeploymentSpec": "The desired pods of a deployment and how to replace them.",
    "DeploymentStatus": "What the deployment controller last observed.",
    "DeploymentStrategy": "How old pods are replaced by new ones.",
    "RollingUpdateDeployment": "Bounds on how many pods may be missing or extra during a rollout.",
    "ReplicaSet": "Keeps a number of identical pods running.",
    "ReplicaSetSpec": "How many pods, which pods, and the template to create more from.",
    "DaemonSet": "Runs one copy of a pod on every eligible node.",
    "DaemonSetSpec": "Which pods to run on each node and how to update them.",
    "StatefulSet": "Pods with stable names and storage, created and deleted in order.",
    "StatefulSetSpec": "The pods of a stateful set, their claims and their update strategy.",
    "ControllerRevision": "An immutable snapshot of a controller's pod template, for rollbacks.",
    # batch/v1
    "Job": "Runs pods until a number of them complete successfully.",
    "JobSpec": "How many pods to run, how many must succeed, and how failures count.",
    "JobStatus": "What the job controller last observed.",
    # coordination, rbac, policy, autoscaling
    "Lease": "A lock with a holder and a renew time: leader election and node heartbeats.",
    "LeaseSpec": "Who holds the lease and until when.",
    "Role": "Rules granting access to namespaced resources, within one namespace.",
    "ClusterRole": "Rules granting access across the cluster.",
    "PolicyRule": "Verbs allowed on resources or non-resource URLs.",
    "RoleBinding": "Grants a Role or ClusterRole to subjects, within one namespace.",
    "ClusterRoleBinding": "Grants a ClusterRole to subjects across the cluster.",
    "Subject": "A user, group or service account a binding grants to.",
    "RoleRef": "The role a binding grants.",
    "Eviction": "A request to delete a pod that disruption budgets may refuse.",
    "Scale": "The replica count of a scalable resource, read and written by kubectl scale.",
}

FIELDS: dict[str, str] = {
    # ObjectMeta
    "ObjectMeta.name": "Unique within a namespace. Required when creating, unless generateName "
                       "is set. Cannot be updated.",
    "ObjectMeta.generateName": "A prefix the server adds a random suffix to when name is empty.",
    "ObjectMeta.namespace": "The namespace of the object; empty for cluster-scoped kinds.",
    "ObjectMeta.uid": "Unique in time and space; set by the server on create.",
    "ObjectMeta.resourceVersion": "An opaque version, changed on every write; send it back "
                                  "to make an update conditional.",
    "ObjectMeta.generation": "Counts changes to the desired state (spec); set by the server.",
    "ObjectMeta.creationTimestamp": "When the server created the object.",
    "ObjectMeta.deletionTimestamp": "When the object will be deleted; set when a graceful "
                                    "delete is asked for.",
    "ObjectMeta.deletionGracePeriodSeconds": "Seconds the object has left to terminate.",
    "ObjectMeta.labels": "Key/value pairs selectors match on.",
    "ObjectMeta.annotations": "Key/value pairs for tools to keep arbitrary data in.",
    "ObjectMeta.ownerReferences": "The objects this one depends on.",
    "ObjectMeta.finalizers": "Must be empty before the object is removed from storage.",
    "ObjectMeta.managedFields": "Field ownership; kept as sent (skiff has no server-side apply).",
    # Pod
    "PodSpec.containers": "The containers of the pod. There must be at least one; none can be "
                          "added or removed after creation.",
    "PodSpec.initContainers": "Containers run to completion, one at a time and in order, "
                              "before the app containers start.",
    "PodSpec.volumes": "Volumes the containers can mount.",
    "PodSpec.restartPolicy": "When to restart containers that exit: Always, OnFailure or Never.",
    "PodSpec.terminationGracePeriodSeconds": "Seconds between the stop signal and the kill "
                                             "on deletion. Defaults to 30.",
    "PodSpec.activeDeadlineSeconds": "Seconds the pod may be active before it is failed.",
    "PodSpec.nodeSelector": "Labels a node must have for the pod to be scheduled onto it.",
    "PodSpec.nodeName": "The node the pod is bound to. Set by the scheduler, or by the user to "
                        "skip scheduling.",
    "PodSpec.serviceAccountName": "The service account the pod runs as.",
    "PodSpec.hostNetwork": "Use the node's network namespace instead of the pod's own.",
    "PodSpec.hostname": "The pod's hostname; defaults to the pod name.",
    "PodSpec.subdomain": "With hostname, gives the pod a DNS name under a headless service.",
    "PodSpec.affinity": "Scheduling constraints relative to nodes and other pods.",
    "PodSpec.tolerations": "Taints the pod tolerates.",
    "PodSpec.schedulerName": "The scheduler that places this pod.",
    "PodSpec.priority": "Scheduling priority; higher goes first.",
    "PodSpec.dnsPolicy": "How the pod resolves names: ClusterFirst, Default, ClusterFirstWithHostNet "
                         "or None.",
    "PodSpec.securityContext": "Security settings for every container of the pod.",
    "PodSpec.imagePullSecrets": "Secrets to pull images with.",
    "PodSpec.readinessGates": "Extra conditions that must be true for the pod to be ready.",
    "PodStatus.phase": "Pending, Running, Succeeded, Failed or Unknown: a summary of where the "
                       "pod is in its life.",
    "PodStatus.conditions": "The pod's conditions.",
    "PodStatus.podIP": "The pod's address on the cluster network.",
    "PodStatus.hostIP": "The address of the node the pod runs on.",
    "PodStatus.startTime": "When the kubelet accepted the pod.",
    "PodStatus.containerStatuses": "One entry per app container.",
    "PodStatus.initContainerStatuses": "One entry per init container.",
    "PodStatus.reason": "A CamelCase word saying why the pod is in this state.",
    "PodStatus.message": "A human-readable note on why the pod is in this state.",
    "PodStatus.nominatedNodeName": "The node a preempting pod expects to run on.",
    "PodStatus.qosClass": "Guaranteed, Burstable or BestEffort, from the containers' resources.",
    # Container
    "Container.name": "The container's name, unique within the pod (a DNS label).",
    "Container.image": "The image to run.",
    "Container.command": "The entrypoint, run without a shell. Replaces the image's ENTRYPOINT.",
    "Container.args": "Arguments to the entrypoint. Replace the image's CMD.",
    "Container.workingDir": "The working directory; the image's by default.",
    "Container.ports": "Ports the container listens on. Informational: any port the container "
                       "opens is reachable.",
    "Container.env": "Environment variables to set.",
    "Container.envFrom": "Sources whose keys all become environment variables.",
    "Container.resources": "Compute resources the container requests and is limited to.",
    "Container.volumeMounts": "Pod volumes to mount into the container.",
    "Container.livenessProbe": "Checks that the container is alive. The kubelet restarts the "
                               "container when it fails.",
    "Container.readinessProbe": "Checks that the container can serve. The pod leaves service "
                                "endpoints while it fails.",
    "Container.startupProbe": "Checks that the container has started. Liveness and readiness "
                              "probes wait until it succeeds.",
    "Container.lifecycle": "Actions to run after start and before stop.",
    "Container.imagePullPolicy": "Always, Never or IfNotPresent. Defaults to Always for the "
                                 ":latest tag, IfNotPresent otherwise.",
    "Container.securityContext": "Security settings of this container.",
    "Container.stdin": "Keep a stdin buffer open for attach.",
    "Container.tty": "Allocate a TTY; needs stdin.",
    "Container.restartPolicy": "Only for init containers: Always makes it a sidecar that keeps "
                               "running beside the app containers.",
    "Container.terminationMessagePath": "A file whose content becomes the termination message.",
    "ContainerPort.containerPort": "The port number in the container's network namespace.",
    "ContainerPort.name": "A name services can refer to the port by (an IANA_SVC_NAME).",
    "ContainerPort.protocol": "TCP, UDP or SCTP. Defaults to TCP.",
    "ContainerPort.hostPort": "A port to expose on the node as well.",
    "EnvVar.name": "The variable's name.",
    "EnvVar.value": "The value. $(VAR) references to earlier variables are expanded.",
    "EnvVar.valueFrom": "Where to read the value from instead.",
    "ResourceRequirements.requests": "What the container is guaranteed; the scheduler places "
                                     "pods by requests.",
    "ResourceRequirements.limits": "The most the container may use.",
    "VolumeMount.name": "The pod volume to mount.",
    "VolumeMount.mountPath": "Where in the container to mount it.",
    "VolumeMount.readOnly": "Mount read-only.",
    "VolumeMount.subPath": "A path inside the volume to mount instead of its root.",
    # Probes
    "Probe.exec": "Run a command in the container.",
    "Probe.httpGet": "Send an HTTP GET to the container.",
    "Probe.tcpSocket": "Open a TCP connection to the container.",
    "Probe.grpc": "Call the gRPC health service of the container.",
    "Probe.initialDelaySeconds": "Seconds after the container starts before the first probe.",
    "Probe.timeoutSeconds": "Seconds before one probe times out. Defaults to 1.",
    "Probe.periodSeconds": "Seconds between probes. Defaults to 10.",
    "Probe.successThreshold": "Consecutive successes that count as passing after a failure. "
                              "Defaults to 1, and must be 1 for liveness and startup probes.",
    "Probe.failureThreshold": "Consecutive failures that count as failing. Defaults to 3.",
    "Probe.terminationGracePeriodSeconds": "Grace period for a kill caused by this probe; "
                                           "overrides the pod's.",
    "ExecAction.command": "The command and its arguments, run without a shell.",
    "HTTPGetAction.path": "The path to request.",
    "HTTPGetAction.port": "The port number or name to connect to.",
    "HTTPGetAction.host": "The host to connect to; the pod IP by default.",
    "HTTPGetAction.scheme": "HTTP or HTTPS. Defaults to HTTP.",
    "HTTPGetAction.httpHeaders": "Extra request headers.",
    "TCPSocketAction.port": "The port number or name to connect to.",
    "TCPSocketAction.host": "The host to connect to; the pod IP by default.",
    "GRPCAction.port": "The port of the gRPC service.",
    "GRPCAction.service": "The service name sent in the health check request.",
    # Deployment
    "DeploymentSpec.replicas": "How many pods to run. Defaults to 1.",
    "DeploymentSpec.selector": "Which pods belong to the deployment. Must match the template's "
                               "labels; cannot be changed.",
    "DeploymentSpec.template": "The pods to create.",
    "DeploymentSpec.strategy": "How to replace old pods with new ones.",
    "DeploymentSpec.minReadySeconds": "Seconds a new pod must be ready before it counts as "
                                      "available.",
    "DeploymentSpec.revisionHistoryLimit": "How many old ReplicaSets to keep for rollback. "
                                           "Defaults to 10.",
    "DeploymentSpec.paused": "Stop rolling out template changes while true.",
    "DeploymentSpec.progressDeadlineSeconds": "Seconds without progress before the rollout is "
                                              "reported as failed. Defaults to 600.",
    "DeploymentStrategy.type": "RollingUpdate (the default) or Recreate.",
    "DeploymentStrategy.rollingUpdate": "Bounds for a rolling update.",
    "RollingUpdateDeployment.maxUnavailable": "How many pods, or what percentage, may be "
                                              "unavailable during the update. Defaults to 25%.",
    "RollingUpdateDeployment.maxSurge": "How many pods, or what percentage, may exist above "
                                        "the desired count. Defaults to 25%.",
    "DeploymentStatus.replicas": "Pods targeted by this deployment.",
    "DeploymentStatus.updatedReplicas": "Pods that run the current template.",
    "DeploymentStatus.readyReplicas": "Pods that are ready.",
    "DeploymentStatus.availableReplicas": "Pods ready for at least minReadySeconds.",
    "DeploymentStatus.unavailableReplicas": "Pods still needed for the deployment to be fully "
                                            "available.",
    "DeploymentStatus.observedGeneration": "The generation the controller last acted on.",
    "DeploymentStatus.conditions": "Available, Progressing and ReplicaFailure.",
    "ReplicaSetSpec.replicas": "How many pods to run. Defaults to 1.",
    "ReplicaSetSpec.selector": "Which pods count towards the replica count.",
    "ReplicaSetSpec.template": "The pods to create when there are too few.",
    "DaemonSetSpec.selector": "Which pods belong to the daemon set.",
    "DaemonSetSpec.template": "The pod to run on each node.",
    "DaemonSetSpec.updateStrategy": "RollingUpdate (the default) or OnDelete.",
    "StatefulSetSpec.replicas": "How many pods to run. Defaults to 1.",
    "StatefulSetSpec.serviceName": "The headless service that gives the pods their DNS names.",
    "StatefulSetSpec.template": "The pods to create, named <set>-0, <set>-1 ...",
    "StatefulSetSpec.volumeClaimTemplates": "Claims each pod gets its own copy of.",
    "StatefulSetSpec.podManagementPolicy": "OrderedReady (the default) or Parallel.",
    # Job
    "JobSpec.parallelism": "The most pods to run at once. Defaults to 1.",
    "JobSpec.completions": "How many pods must succeed. Unset means any one success finishes the job.",
    "JobSpec.backoffLimit": "Retries before the job is failed. Defaults to 6.",
    "JobSpec.activeDeadlineSeconds": "Seconds the job may run before it is failed.",
    "JobSpec.template": "The pods to run; restartPolicy must be Never or OnFailure.",
    "JobSpec.ttlSecondsAfterFinished": "Delete the job this many seconds after it finishes.",
    "JobSpec.suspend": "While true, no pods are created and running ones are deleted.",
    "JobSpec.completionMode": "NonIndexed (the default) or Indexed.",
    "JobStatus.active": "Pods running now.",
    "JobStatus.succeeded": "Pods that succeeded.",
    "JobStatus.failed": "Pods that failed.",
    "JobStatus.startTime": "When the job controller started the job.",
    "JobStatus.completionTime": "When the job completed.",
    # Service
    "ServiceSpec.type": "ClusterIP (the default), NodePort, LoadBalancer or ExternalName.",
    "ServiceSpec.selector": "Pods with these labels back the service. Without a selector the "
                            "endpoints are managed by hand.",
    "ServiceSpec.ports": "The ports the service exposes.",
    "ServiceSpec.clusterIP": "The virtual IP, allocated from the service range unless given; "
                             "None makes a headless service.",
    "ServiceSpec.sessionAffinity": "ClientIP sends a client to the same pod; None (the default) "
                                   "does not.",
    "ServiceSpec.externalName": "For type ExternalName: the DNS name the service aliases.",
    "ServicePort.name": "The port's name; required when there are several ports.",
    "ServicePort.protocol": "TCP, UDP or SCTP. Defaults to TCP.",
    "ServicePort.port": "The port the service listens on.",
    "ServicePort.targetPort": "The pod port, by number or name. Defaults to port.",
    "ServicePort.nodePort": "For NodePort and LoadBalancer: the port on every node, allocated "
                            "from 30000-32767 unless given.",
    # ConfigMap, Secret
    "ConfigMap.data": "Configuration as UTF-8 text, by key.",
    "ConfigMap.binaryData": "Binary configuration, base64-encoded, by key.",
    "ConfigMap.immutable": "When true, data cannot be changed, only the object deleted.",
    "Secret.data": "Secret values, base64-encoded, by key.",
    "Secret.stringData": "Write-only plain-text values, merged into data on write.",
    "Secret.type": "How the data is used; Opaque by default.",
    "Secret.immutable": "When true, data cannot be changed, only the object deleted.",
    # Node, Namespace
    "NodeSpec.podCIDR": "The pod address range assigned to this node.",
    "NodeSpec.unschedulable": "When true, no new pods are scheduled here (kubectl cordon).",
    "NodeSpec.taints": "Taints that repel pods which do not tolerate them.",
    "NamespaceStatus.phase": "Active, or Terminating while its contents are being deleted.",
    # Lease
    "LeaseSpec.holderIdentity": "Who holds the lease.",
    "LeaseSpec.leaseDurationSeconds": "How long others wait after the last renewal before "
                                      "taking the lease.",
    "LeaseSpec.renewTime": "When the holder last renewed the lease.",
    "LeaseSpec.acquireTime": "When the current holder acquired the lease.",
    "LeaseSpec.leaseTransitions": "How many times the lease changed hands.",
    # RBAC
    "PolicyRule.verbs": "Verbs allowed, such as get, list, watch, create; * for all.",
    "PolicyRule.apiGroups": "API groups of the resources; \"\" is the core group.",
    "PolicyRule.resources": "Resources the rule applies to; * for all.",
    "PolicyRule.resourceNames": "Restricts the rule to objects with these names.",
    "PolicyRule.nonResourceURLs": "URL paths such as /healthz the rule allows (ClusterRoles only).",
    "Subject.kind": "User, Group or ServiceAccount.",
    "Subject.name": "The subject's name.",
    "Subject.namespace": "For a ServiceAccount: its namespace.",
    "RoleRef.kind": "Role or ClusterRole.",
    "RoleRef.name": "The role's name.",
    "RoleRef.apiGroup": "rbac.authorization.k8s.io.",
}
