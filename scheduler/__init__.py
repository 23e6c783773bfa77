"""skiff's scheduler: assigns each pending pod to a node, as kube-scheduler does.

The layers, bottom up:

* :mod:`scheduler.framework`: the extension points (one small Protocol each), the
  ``Status`` they return, ``CycleState``, ``PodInfo``/``NodeInfo`` and the ``Framework``
  that runs a profile's plugins;
* :mod:`scheduler.plugins`: one module per plugin, each with ``NAME`` and a factory;
  :data:`scheduler.plugins.REGISTRY` is the dict of them;
* :mod:`scheduler.cache`: node accounting kept incrementally from informers, with
  "assumed" pods; :mod:`scheduler.queue`: active, backoff and unschedulable queues;
* :mod:`scheduler.scheduler`: the scheduling loop and the asynchronous binding cycle;
* :mod:`scheduler.config`: the KubeSchedulerConfiguration-like file;
  :mod:`scheduler.main`: the ``skiff-scheduler`` process.
"""
