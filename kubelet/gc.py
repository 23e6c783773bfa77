"""Garbage collection: dead containers beyond a per-container limit, and unused images.

Dead containers are kept because they are a pod's memory: the newest dead instance of
each container says how it last ended (``lastState``, the restart count, whether an init
container succeeded) and keeps its logs. Older ones are removed, keeping at most
``max_per_container`` per container (Kubernetes' ``MaxPerPodContainer``, default 1), and
dead sandboxes older than the newest one go too. A pod that no longer exists is cleaned
up entirely by its own worker, not here.

Images are removed only when the image file system is fuller than the high threshold,
least recently created first, never one a container uses and never the pause image,
until usage is below the low threshold (Kubernetes' image GC policy).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kubelet import naming
from kubelet.runtime import ContainerRuntime, RuntimeContainer, RuntimeFailure
from kubelet.stats import FsUsage, fs_usage

__all__ = ["ContainerGC", "ImageGC", "dead_to_remove"]

log = logging.getLogger(__name__)


def dead_to_remove(containers: Iterable[RuntimeContainer], max_per_container: int
                   ) -> list[RuntimeContainer]:
    """The dead containers beyond the limit, oldest first, for pods that still exist."""
    groups: dict[tuple[str, str], list[RuntimeContainer]] = {}
    for container in containers:
        groups.setdefault((container.pod_uid, container.name), []).append(container)
    doomed: list[RuntimeContainer] = []
    for (_, name), members in groups.items():
        members.sort(key=lambda c: (c.attempt, c.created_at), reverse=True)
        newest, older_dead = members[0], [c for c in members[1:] if not c.running]
        if name == naming.PAUSE_NAME:
            keep = 0  # only the newest sandbox matters
        else:
            # The newest instance is never removed; when it is dead itself it counts
            # towards the limit.
            keep = max(0, max_per_container - (0 if newest.running else 1))
        doomed.extend(reversed(older_dead[keep:]))
    return doomed


@dataclass
class ContainerGC:
    runtime: ContainerRuntime
    node: str
    max_per_container: int = 1

    async def collect(self, live_pods: set[str]) -> int:
        """Remove surplus dead containers of the pods in ``live_pods``; returns how many."""
        found = await self.runtime.list_containers({naming.NODE: self.node})
        candidates = [c for c in found if c.pod_uid in live_pods]
        removed = 0
        for container in dead_to_remove(candidates, self.max_per_container):
            try:
                await self.runtime.remove_container(container.id)
                removed += 1
            except RuntimeFailure as err:
                log.warning("removing dead container %s failed: %s", container.id[:12], err)
        return removed


@dataclass
class ImageGC:
    runtime: ContainerRuntime
    image_dir: Path
    pause_image: str
    high_percent: int = 85
    low_percent: int = 80
    usage: Callable[[Path], FsUsage] = field(default=fs_usage)

    async def collect(self) -> list[str]:
        """Remove unused images while the disk is too full; returns the removed ids."""
        usage = self.usage(self.image_dir)
        if not usage.capacity or usage.used * 100 < usage.capacity * self.high_percent:
            return []
        to_free = usage.used - usage.capacity * self.low_percent // 100
        in_use = {c.image_id for c in await self.runtime.list_containers({})}
        images = sorted(await self.runtime.list_images(), key=lambda i: i.created)
        removed = []
        for image in images:
            if to_free <= 0:
                break
            if image.id in in_use or self.pause_image in image.tags:
                continue
            try:
                await self.runtime.remove_image(image.id)
            except RuntimeFailure as err:
                log.info("image %s not removed: %s", image.id[:19], err)
                continue
            removed.append(image.id)
            to_free -= image.size
        return removed
