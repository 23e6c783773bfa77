"""The in-tree plugins and the registry that names them.

A registry is just a dict from plugin name to factory (``factory(args, handle)``), as
in kube-scheduler's ``plugins/registry.go``; an out-of-tree plugin is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scheduler.framework.interface import Handle, Plugin
from scheduler.plugins import (
    balanced_allocation,
    default_binder,
    least_allocated,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    selector_spread,
    taint_toleration,
    volume_restrictions,
)

__all__ = ["REGISTRY", "Factory"]

Factory = Callable[[Mapping[str, Any], Handle], Plugin]

REGISTRY: dict[str, Factory] = {
    module.NAME: module.new
    for module in (
        node_unschedulable,
        node_name,
        taint_toleration,
        node_affinity,
        node_ports,
        node_resources_fit,
        volume_restrictions,
        least_allocated,
        balanced_allocation,
        selector_spread,
        default_binder,
    )
}
