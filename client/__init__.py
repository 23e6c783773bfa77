"""skiff's client library: how every component talks to the apiserver.

Import from here (``from client import Client, SharedInformerFactory``); the modules
behind it are implementation detail and may move. The pieces, bottom up:

* :class:`Config`, :func:`load_config`, :func:`write_kubeconfig`: where the server is;
* :class:`Client` and :class:`ResourceClient`: the typed REST verbs, and
  :class:`WatchStream` for watches;
* :class:`SharedInformerFactory`, :class:`Informer`, :class:`Store`: cached, watched
  copies of resources with change notifications;
* :class:`RateLimitingQueue`: the controllers' work queue;
* :class:`LeaderElector` and :class:`EventRecorder`;
* :class:`Clock`, :class:`FakeClock`, :class:`Backoff`: time, injectable for tests.

:mod:`client.testing` (not re-exported) holds the in-memory fake apiserver for tests.
"""

from client.backoff import Backoff, jittered
from client.clock import Clock, FakeClock, RealClock, format_micro_time, format_time, parse_time
from client.events import NORMAL, WARNING, EventRecorder
from client.exceptions import ApiConnectionError, ApiTimeoutError
from client.informer import (
    LABELS_INDEX,
    NAMESPACE_INDEX,
    NODE_INDEX,
    DeletedFinalStateUnknown,
    EventHandler,
    IndexFunc,
    Informer,
    SharedInformerFactory,
    Store,
    labels_index,
    meta_namespace_key,
    namespace_index,
    node_name_index,
    split_key,
)
from client.kubeconfig import (
    Config,
    ConfigError,
    KubeConfig,
    in_cluster_config,
    load_config,
    load_kubeconfig,
    write_kubeconfig,
)
from client.leaderelection import LeaderElectionRecord, LeaderElector
from client.rest import (
    PATCH_CONTENT_TYPES,
    Client,
    ObjectList,
    PatchType,
    RequestHook,
    RequestLog,
    ResourceClient,
    Scale,
    ScaleSpec,
    ScaleStatus,
)
from client.transport import LeanTransport
from client.watch import EventType, LineSplitter, WatchEvent, WatchStream
from client.workqueue import (
    BucketRateLimiter,
    DelayingQueue,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    RateLimitingQueue,
    ShutDown,
    WorkQueue,
    default_controller_rate_limiter,
)

__all__ = [
    "LABELS_INDEX",
    "LeanTransport",
    "NAMESPACE_INDEX",
    "NODE_INDEX",
    "NORMAL",
    "PATCH_CONTENT_TYPES",
    "WARNING",
    "ApiConnectionError",
    "ApiTimeoutError",
    "Backoff",
    "BucketRateLimiter",
    "Client",
    "Clock",
    "Config",
    "ConfigError",
    "DelayingQueue",
    "DeletedFinalStateUnknown",
    "EventHandler",
    "EventRecorder",
    "EventType",
    "FakeClock",
    "IndexFunc",
    "Informer",
    "ItemExponentialFailureRateLimiter",
    "KubeConfig",
    "LeaderElectionRecord",
    "LeaderElector",
    "LineSplitter",
    "MaxOfRateLimiter",
    "ObjectList",
    "PatchType",
    "RateLimiter",
    "RateLimitingQueue",
    "RealClock",
    "RequestHook",
    "RequestLog",
    "ResourceClient",
    "Scale",
    "ScaleSpec",
    "ScaleStatus",
    "SharedInformerFactory",
    "ShutDown",
    "Store",
    "WatchEvent",
    "WatchStream",
    "WorkQueue",
    "default_controller_rate_limiter",
    "format_micro_time",
    "format_time",
    "in_cluster_config",
    "jittered",
    "labels_index",
    "load_config",
    "load_kubeconfig",
    "meta_namespace_key",
    "namespace_index",
    "node_name_index",
    "parse_time",
    "split_key",
    "write_kubeconfig",
]
