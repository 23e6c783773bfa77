"""Getting a container's image onto the node, as its ``imagePullPolicy`` says.

``Always`` pulls, ``IfNotPresent`` pulls only a missing image, ``Never`` never pulls. A
failed pull leaves the container waiting with ``ErrImagePull`` (Docker's error in the
message); the next attempt waits out a backoff per pod and image, shown as
``ImagePullBackOff``. Nothing here raises: the pod worker reports and retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from apimachinery.core_v1 import Container, Pod
from apimachinery.defaults import default_image_pull_policy
from client import Clock
from kubelet.backoff import Backoff
from kubelet.runtime import ContainerRuntime, ImagePullError, RuntimeFailure

__all__ = ["ImagePuller", "PullResult"]

PRESENT_TTL = 30.0  # seconds an image seen present is trusted without asking again


@dataclass(frozen=True)
class PullResult:
    """``reason`` None: the image is there. Otherwise the waiting reason and message,
    and when to look again."""

    reason: str | None = None
    message: str = ""
    retry_after: float | None = None
    events: tuple[tuple[str, str, str], ...] = ()  # (type, reason, message)


class ImagePuller:
    def __init__(self, runtime: ContainerRuntime, clock: Clock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.backoff = Backoff(clock)
        self._present: dict[str, float] = {}

    async def ensure(self, pod: Pod, container: Container) -> PullResult:
        image = container.image or ""
        policy = container.image_pull_policy or default_image_pull_policy(image)
        if not image:
            return PullResult("InvalidImageName", "the container has no image")
        present = policy != "Always" and await self._is_present(image)
        if present:
            return PullResult(events=(("Normal", "Pulled",
                                       f'Container image "{image}" already present on machine'),))
        if policy == "Never":
            message = f'Container image "{image}" is not present with pull policy of Never'
            return PullResult("ErrImageNeverPull", message, events=(("Warning", "ErrImageNeverPull",
                                                                       message),))
        key = f"{pod.metadata.uid}/{image}"
        remaining = self.backoff.remaining_since_update(key)
        if remaining > 0:
            message = f'Back-off pulling image "{image}"'
            return PullResult("ImagePullBackOff", message, remaining,
                              (("Normal", "BackOff", message),))
        return await self._pull(key, image)

    async def _pull(self, key: str, image: str) -> PullResult:
        started = self.clock.monotonic()
        try:
            await self.runtime.pull_image(image)
        except (ImagePullError, RuntimeFailure) as err:
            self.backoff.next(key)
            message = f'Failed to pull image "{image}": {err}'
            # Look again soon, so the status moves on from ErrImagePull to ImagePullBackOff.
            return PullResult("ErrImagePull", message, 1.0,
                              (("Normal", "Pulling", f'Pulling image "{image}"'),
                               ("Warning", "Failed", message)))
        self._present[image] = self.clock.monotonic() + PRESENT_TTL
        took = self.clock.monotonic() - started
        return PullResult(events=(("Normal", "Pulling", f'Pulling image "{image}"'),
                                  ("Normal", "Pulled", f'Successfully pulled image "{image}" in '
                                                       f"{took:.3f}s")))

    async def _is_present(self, image: str) -> bool:
        if self._present.get(image, 0.0) > self.clock.monotonic():
            return True
        if await self.runtime.inspect_image(image) is None:
            self._present.pop(image, None)
            return False
        self._present[image] = self.clock.monotonic() + PRESENT_TTL
        return True

    def forget_pod(self, uid: str) -> None:
        self.backoff.forget_prefix(f"{uid}/")
