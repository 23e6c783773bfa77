"""Static pods read from a manifest directory."""

from __future__ import annotations

import os
from pathlib import Path

from kubelet.static import CONFIG_MIRROR, StaticPods, is_mirror, mirror_of

MANIFEST = """apiVersion: v1
kind: Pod
metadata: {name: etcd, namespace: kube-system}
spec:
  containers: [{name: etcd, image: skiff/busybox:test}]
"""


def test_a_manifest_becomes_a_pod_named_after_the_node(tmp_path: Path) -> None:
    (tmp_path / "etcd.yaml").write_text(MANIFEST)
    static = StaticPods(tmp_path, "node-1")
    changed = static.scan()
    [pod] = static.pods.values()
    assert changed == {pod.metadata.uid}
    assert (pod.name, pod.metadata.namespace, pod.spec.node_name) == ("etcd-node-1", "kube-system", "node-1")
    assert pod.spec.restart_policy == "Always"  # defaulted like an API pod
    assert (pod.metadata.annotations or {})["kubernetes.io/config.source"] == "file"
    assert static.scan() == set()  # nothing changed, nothing to do


def test_an_edited_manifest_is_a_new_pod_and_a_removed_one_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "etcd.yaml"
    path.write_text(MANIFEST)
    static = StaticPods(tmp_path, "node-1")
    static.scan()
    [old_uid] = static.pods
    path.write_text(MANIFEST.replace("skiff/busybox:test", "skiff/busybox:v2"))
    os.utime(path, (1, 1))  # a different mtime even within the same second
    changed = static.scan()
    [new_uid] = static.pods
    assert new_uid != old_uid and changed == {old_uid, new_uid}
    path.unlink()
    assert static.scan() == {new_uid} and static.pods == {}


def test_a_broken_manifest_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Deployment\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    static = StaticPods(tmp_path, "node-1")
    assert static.scan() == set() and static.pods == {}


def test_the_mirror_pod_points_back_at_its_static_pod(tmp_path: Path) -> None:
    (tmp_path / "etcd.yaml").write_text(MANIFEST)
    static = StaticPods(tmp_path, "node-1")
    static.scan()
    [pod] = static.pods.values()
    mirror = mirror_of(pod, "node-uid")
    assert is_mirror(mirror) and not is_mirror(pod)
    assert (mirror.metadata.annotations or {})[CONFIG_MIRROR] == pod.metadata.uid
    assert mirror.metadata.uid is None
    assert mirror.metadata.owner_references[0].kind == "Node"  # type: ignore[index]
