"""rollout history, undo, pause, resume, restart and status for Deployments.

Without the deployment controller on this branch, the first tests give the Deployment
the ReplicaSets the controller would have made (owner reference, revision and
change-cause annotations, the template of each revision) and check what skiffctl
reads from and writes back to them, beside kubectl. The last test runs the seeds'
whole walkthrough against the real controller once it exists.
"""

from __future__ import annotations

import json
import time

from tests.integration.skiffctl.conftest import Cli, Lines, same_text
from tests.integration.skiffctl.manifests import NGINX_DEPLOYMENT

IMAGES = {1: "nginx:1.7.9", 2: "nginx:1.9.1", 3: "nginx:1.25"}


def _revision_set(deploy: dict, revision: int, replicas: int) -> str:  # type: ignore[type-arg]
    meta = deploy["metadata"]
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": f"nginx-deployment-r{revision}",
            "labels": {"app": "nginx", "pod-template-hash": f"h{revision}"},
            "annotations": {"deployment.kubernetes.io/revision": str(revision),
                            "kubernetes.io/change-cause": f"set image to {IMAGES[revision]}"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                 "name": meta["name"], "uid": meta["uid"], "controller": True}]},
        "spec": {"replicas": replicas,
                 "selector": {"matchLabels": {"app": "nginx", "pod-template-hash": f"h{revision}"}},
                 "template": {"metadata": {"labels": {"app": "nginx",
                                                      "pod-template-hash": f"h{revision}"}},
                              "spec": {"containers": [{"name": "nginx",
                                                       "image": IMAGES[revision],
                                                       "ports": [{"containerPort": 80}]}]}}},
    })


def _deployment_with_history(skiffctl: Cli) -> dict:  # type: ignore[type-arg]
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT.replace("nginx:1.7.9", "nginx:1.25"))
    deploy = json.loads(skiffctl("get", "deploy", "nginx-deployment", "-o", "json").stdout)
    for revision in (1, 2, 3):
        skiffctl("create", "-f", "-", stdin=_revision_set(deploy, revision, 3 if revision == 3
                                                          else 0))
    return deploy


def _image(cli: Cli) -> str:
    return cli("get", "deploy", "nginx-deployment", "-o",
               "jsonpath={.spec.template.spec.containers[0].image}").stdout


def test_history_lists_revisions_and_shows_one(skiffctl: Cli, kubectl: Cli) -> None:
    _deployment_with_history(skiffctl)
    for args in (["rollout", "history", "deployment/nginx-deployment"],
                 ["rollout", "history", "deploy", "nginx-deployment", "--revision=2"],
                 ["rollout", "history", "deploy/nginx-deployment", "--revision=9"],
                 ["rollout", "undo", "deploy/nginx-deployment", "--to-revision=1",
                  "--dry-run=client"],
                 ["rollout", "undo", "deploy/nginx-deployment", "--to-revision=3"],
                 ["rollout", "undo", "deploy/nginx-deployment", "--to-revision=7"]):
        ours, theirs = skiffctl(*args, check=False), kubectl(*args, check=False)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (theirs.returncode, theirs.stdout, theirs.stderr), args
    history = skiffctl("rollout", "history", "deployment/nginx-deployment").stdout
    assert history == ("deployment.apps/nginx-deployment \nREVISION  CHANGE-CAUSE\n"
                       "1         set image to nginx:1.7.9\n2         set image to nginx:1.9.1\n"
                       "3         set image to nginx:1.25\n\n")
    same_text(skiffctl("describe", "deploy", "nginx-deployment").stdout,
              kubectl("describe", "deploy", "nginx-deployment").stdout)


def test_undo_writes_the_chosen_revisions_template_back(skiffctl: Cli) -> None:
    _deployment_with_history(skiffctl)
    assert skiffctl("rollout", "undo", "deployment/nginx-deployment", "--to-revision=1").stdout \
        == "deployment.apps/nginx-deployment rolled back\n"
    deploy = json.loads(skiffctl("get", "deploy", "nginx-deployment", "-o", "json").stdout)
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.7.9"
    assert "pod-template-hash" not in deploy["spec"]["template"]["metadata"]["labels"]
    annotations = deploy["metadata"]["annotations"]
    assert annotations["kubernetes.io/change-cause"] == "set image to nginx:1.7.9"
    assert "kubectl.kubernetes.io/last-applied-configuration" in annotations  # kept
    assert skiffctl("rollout", "undo", "deployment/nginx-deployment").stdout == \
        "deployment.apps/nginx-deployment rolled back\n"  # to the one before the newest
    assert _image(skiffctl) == "nginx:1.9.1"


def test_pause_resume_and_restart(skiffctl: Cli, kubectl: Cli) -> None:
    _deployment_with_history(skiffctl)
    assert skiffctl("rollout", "pause", "deploy/nginx-deployment").stdout == \
        "deployment.apps/nginx-deployment paused\n"
    for args in (["rollout", "pause", "deploy/nginx-deployment"],
                 ["rollout", "undo", "deploy/nginx-deployment"],
                 ["rollout", "restart", "deploy/nginx-deployment"]):
        ours, theirs = skiffctl(*args, check=False), kubectl(*args, check=False)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (theirs.returncode, theirs.stdout, theirs.stderr), args
    assert skiffctl("rollout", "resume", "deploy/nginx-deployment").stdout == \
        "deployment.apps/nginx-deployment resumed\n"
    assert skiffctl("rollout", "restart", "deploy/nginx-deployment").stdout == \
        "deployment.apps/nginx-deployment restarted\n"
    template = json.loads(skiffctl("get", "deploy", "nginx-deployment", "-o", "json").stdout)[
        "spec"]["template"]["metadata"]
    assert "kubectl.kubernetes.io/restartedAt" in template["annotations"]


def test_status_reports_progress_from_the_deployments_status(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    waiting = skiffctl("rollout", "status", "deploy/nginx-deployment", "--watch=false").stdout
    assert waiting == "Waiting for deployment spec update to be observed...\n"
    timed_out = skiffctl("rollout", "status", "deploy/nginx-deployment", "--timeout=1s",
                         check=False)
    assert timed_out.returncode == 1
    assert timed_out.stderr == "error: timed out waiting for the condition\n"
    follower = skiffctl.popen("rollout", "status", "deploy/nginx-deployment", "--timeout=60s")
    output = Lines(follower)
    first = output.next(time.monotonic() + 30)
    assert first == "Waiting for deployment spec update to be observed...\n"
    for status in ({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 1},
                   {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
                    "availableReplicas": 2},
                   {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
                    "availableReplicas": 3}):
        skiffctl("patch", "deploy", "nginx-deployment", "--subresource=status", "--type=merge",
                 "-p", json.dumps({"status": status}))
    follower.wait(60)
    assert follower.returncode == 0
    lines = [line.rstrip("\n") for line in output.rest(time.monotonic() + 30)]
    assert lines[-1] == 'deployment "nginx-deployment" successfully rolled out'
    assert 'Waiting for deployment "nginx-deployment" rollout to finish: 2 of 3 updated ' \
        "replicas are available..." in lines


def test_the_seed_walkthrough_end_to_end(skiffctl: Cli, kubectl: Cli, components: object) -> None:
    """apply, scale to 4, set image, history, undo to revision 1 — with the controllers."""
    components.start("controller_manager.main")  # type: ignore[attr-defined]
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    assert skiffctl("scale", "deployment/nginx-deployment", "--replicas=4").stdout == \
        "deployment.apps/nginx-deployment scaled\n"
    skiffctl("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.9.1")
    skiffctl("wait", "--for=jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}=2",
             "deploy/nginx-deployment", "--timeout=60s")
    history = skiffctl("rollout", "history", "deployment/nginx-deployment").stdout
    assert history.splitlines()[2:4] == ["1         <none>", "2         <none>"]
    assert history == kubectl("rollout", "history", "deployment/nginx-deployment").stdout
    assert skiffctl("rollout", "undo", "deployment/nginx-deployment", "--to-revision=1").stdout \
        == "deployment.apps/nginx-deployment rolled back\n"
    assert _image(skiffctl) == "nginx:1.7.9"
    same_text(skiffctl("get", "rs").stdout, kubectl("get", "rs").stdout)
