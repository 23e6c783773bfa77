"""Verbs that change objects in place or build new ones: label, annotate, patch, edit,
scale, set image, set env, run, expose, autoscale."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.integration.skiffctl.conftest import Cli
from tests.integration.skiffctl.manifests import NGINX_DEPLOYMENT, REDIS_SLAVE_RC


def _obj(cli: Cli, *what: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cli("get", *what, "-o", "json").stdout)


def _same(ours: Cli, theirs: Cli, *args: str) -> str:
    """Run the same command with both tools on twin objects; return skiffctl's stdout."""
    mine, real = ours(*args, check=False), theirs(*args, check=False)
    assert (mine.returncode, mine.stdout, mine.stderr.replace("skiffctl", "kubectl")) == \
        (real.returncode, real.stdout, real.stderr), args
    return mine.stdout


def test_label_and_annotate_speak_like_kubectl(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=REDIS_SLAVE_RC)
    steps = [
        ("label", "rc", "redis-slave", "tier=cache"),
        ("label", "rc", "redis-slave", "tier=db"),
        ("label", "rc", "redis-slave", "tier=db", "--overwrite"),
        ("label", "rc", "redis-slave", "tier=db", "--overwrite"),
        ("label", "rc", "redis-slave", "tier-"),
        ("label", "rc", "redis-slave", "tier-"),
        ("label", "rc", "redis-slave", "bad=value with spaces"),
        ("label", "rc", "redis-slave"),
        ("annotate", "rc", "redis-slave", "owner=team-a"),
        ("annotate", "rc", "redis-slave", "owner=team-b"),
        ("annotate", "rc", "redis-slave", "owner-"),
        ("label", "rc", "--all", "swept=yes"),
        ("label", "rc", "-l", "name=redis-slave", "swept-"),
    ]
    # each step runs with skiffctl and then kubectl; undo what skiffctl changed first
    for step in steps:
        before = _obj(skiffctl, "rc", "redis-slave")["metadata"]
        mine = skiffctl(*step, check=False)
        skiffctl("patch", "rc", "redis-slave", "--type=merge", "-p", json.dumps(
            {"metadata": {"labels": _diff(before.get("labels"), _obj(skiffctl, "rc", "redis-slave")
                                          ["metadata"].get("labels")),
                          "annotations": _diff(before.get("annotations"),
                                               _obj(skiffctl, "rc", "redis-slave")["metadata"]
                                               .get("annotations"))}}))
        real = kubectl(*step, check=False)
        assert (mine.returncode, mine.stdout, mine.stderr) == \
            (real.returncode, real.stdout, real.stderr), step
    labels = _obj(skiffctl, "rc", "redis-slave")["metadata"]["labels"]
    assert labels == {"name": "redis-slave"}  # the last steps took off what the first put on


def _diff(before: dict | None, after: dict | None) -> dict:  # type: ignore[type-arg]
    """The merge patch that puts ``after`` back to ``before``."""
    before, after = before or {}, after or {}
    patch = {k: v for k, v in before.items() if after.get(k) != v}
    patch.update({k: None for k in after if k not in before})
    return patch


def test_patch_in_its_three_kinds(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    assert skiffctl("patch", "deploy", "nginx-deployment", "-p",
                    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.9.1"}]}}}}'
                    ).stdout == "deployment.apps/nginx-deployment patched\n"
    container = _obj(skiffctl, "deploy", "nginx-deployment")["spec"]["template"]["spec"][
        "containers"][0]
    assert container["image"] == "nginx:1.9.1" and container["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}]  # strategic: merged by name, ports kept
    assert skiffctl("patch", "deploy", "nginx-deployment", "--type=merge", "-p",
                    "spec: {replicas: 5}").stdout == "deployment.apps/nginx-deployment patched\n"
    assert _same(skiffctl, kubectl, "patch", "deploy", "nginx-deployment", "--type=merge", "-p",
                 "spec: {replicas: 5}") == "deployment.apps/nginx-deployment patched (no change)\n"
    assert skiffctl("patch", "deploy", "nginx-deployment", "--type=json", "-p",
                    '[{"op":"replace","path":"/spec/replicas","value":2}]').stdout == \
        "deployment.apps/nginx-deployment patched\n"
    _same(skiffctl, kubectl, "patch", "deploy", "nginx-deployment", "--type=json", "-p",
          '[{"op":"test","path":"/spec/replicas","value":9}]')
    _same(skiffctl, kubectl, "patch", "deploy", "nginx-deployment", "--type=merge", "-p",
          '{"spec":{"replicas":-3}}')
    assert _obj(skiffctl, "deploy", "nginx-deployment")["spec"]["replicas"] == 2


def test_edit_saves_and_reopens_with_the_error_on_top(skiffctl: Cli, tmp_path: Path) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    editor = tmp_path / "editor.sh"
    seen = tmp_path / "seen"
    editor.write_text(f"""#!/bin/sh
cat "$1" >> {seen}
echo ==== >> {seen}
if grep -q 'replicas: -5' "$1"; then sed -i 's/replicas: -5/replicas: 7/' "$1"
else sed -i 's/replicas: 3/replicas: -5/' "$1"; fi
""")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    done = skiffctl("edit", "deploy", "nginx-deployment", env={"EDITOR": str(editor)})
    assert done.stdout.endswith("deployment.apps/nginx-deployment edited\n")
    assert done.stderr == 'error: deployments.apps "nginx-deployment" is invalid\n'
    first, second, _ = seen.read_text().split("====\n")
    assert first.startswith("# Please edit the object below. Lines beginning with a '#' "
                            "will be ignored,\n")
    assert "# deployments.apps \"nginx-deployment\" was not valid:\n" in second
    assert "# * spec.replicas: Invalid value: -5: must be greater than or equal to 0\n" in second
    assert _obj(skiffctl, "deploy", "nginx-deployment")["spec"]["replicas"] == 7
    unchanged = skiffctl("edit", "deploy", "nginx-deployment", env={"EDITOR": "true"})
    assert unchanged.stderr == "Edit cancelled, no changes made.\n"


def test_scale_with_and_without_a_precondition(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT + "---\n" + REDIS_SLAVE_RC)
    assert skiffctl("scale", "deployment/nginx-deployment", "--replicas=4").stdout == \
        "deployment.apps/nginx-deployment scaled\n"
    assert _obj(skiffctl, "deploy", "nginx-deployment")["spec"]["replicas"] == 4
    _same(skiffctl, kubectl, "scale", "rc", "redis-slave", "--current-replicas=3", "--replicas=1")
    assert skiffctl("scale", "rc", "redis-slave", "--current-replicas=2", "--replicas=1").stdout \
        == "replicationcontroller/redis-slave scaled\n"
    assert _obj(skiffctl, "rc", "redis-slave")["spec"]["replicas"] == 1
    _same(skiffctl, kubectl, "scale", "cm", "x", "--replicas=1")


def test_set_image_and_env(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    assert skiffctl("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.9.1").stdout \
        == "deployment.apps/nginx-deployment image updated\n"
    assert _obj(skiffctl, "deploy", "nginx-deployment")["spec"]["template"]["spec"][
        "containers"][0]["image"] == "nginx:1.9.1"
    _same(skiffctl, kubectl, "set", "image", "deploy/nginx-deployment", "nope=x:1")
    assert skiffctl("set", "env", "deploy/nginx-deployment", "MODE=prod", "LEVEL=3").stdout == \
        "deployment.apps/nginx-deployment env updated\n"
    listed = _same(skiffctl, kubectl, "set", "env", "deploy/nginx-deployment", "--list")
    assert listed == "# Deployment nginx-deployment, container nginx\nMODE=prod\nLEVEL=3\n"
    skiffctl("set", "env", "deploy/nginx-deployment", "LEVEL-")
    assert _same(skiffctl, kubectl, "set", "env", "deploy/nginx-deployment", "--list") == \
        "# Deployment nginx-deployment, container nginx\nMODE=prod\n"


def test_run_builds_the_pod_kubectl_builds(skiffctl: Cli, kubectl: Cli) -> None:
    for args in (["run", "web", "--image=nginx", "--dry-run=client", "-o", "yaml"],
                 ["run", "web", "--image=nginx", "--port=80", "--env=A=1", "--labels=app=web",
                  "--restart=Never", "--dry-run=client", "-o", "json"],
                 ["run", "job", "--image=busybox", "--command", "--dry-run=client", "-o", "yaml",
                  "--", "sh", "-c", "echo hi"],
                 ["run", "bad", "--image=nginx", "--restart=Sometimes"]):
        _same(skiffctl, kubectl, *args)
    assert skiffctl("run", "web", "--image=nginx", "--port=80").stdout == "pod/web created\n"
    pod = _obj(skiffctl, "pod", "web")
    assert pod["metadata"]["labels"] == {"run": "web"}
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_expose_makes_the_service_kubectl_makes(skiffctl: Cli, kubectl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT + "---\n" + REDIS_SLAVE_RC)
    for args in (["expose", "deployment", "nginx-deployment", "--port=80", "--target-port=8080",
                  "--type=NodePort", "--dry-run=client", "-o", "yaml"],
                 ["expose", "rc", "redis-slave", "--dry-run=client", "-o", "json"],
                 ["expose", "rc", "redis-slave", "--name=two", "--port=1,2", "--dry-run=client",
                  "-o", "yaml"]):
        _same(skiffctl, kubectl, *args)
    assert skiffctl("expose", "rc", "redis-slave", "--port=6379").stdout == \
        "service/redis-slave exposed\n"
    svc = _obj(skiffctl, "svc", "redis-slave")
    assert svc["spec"]["selector"] == {"name": "redis-slave"}
    assert svc["spec"]["ports"][0]["port"] == 6379


def test_autoscale_needs_autoscalers_the_server_does_not_have(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    done = skiffctl("autoscale", "deploy", "nginx-deployment", "--max=5", check=False)
    assert done.returncode == 1
    assert done.stderr == ('error: the server doesn\'t have a resource type '
                           '"horizontalpodautoscalers"\n')


def test_create_from_flags_builds_what_kubectl_builds(skiffctl: Cli, kubectl: Cli,
                                                      tmp_path: Path) -> None:
    data = tmp_path / "app.properties"
    data.write_text("mode=demo\n")
    for args in (["create", "namespace", "elsewhere", "--dry-run=client", "-o", "yaml"],
                 ["create", "deployment", "web", "--image=nginx", "--port=80", "--replicas=2",
                  "--dry-run=client", "-o", "json"],
                 ["create", "deployment", "job", "--image=busybox", "--dry-run=client", "-o",
                  "yaml", "--", "sleep", "3"],
                 ["create", "configmap", "cfg", "--from-literal=a=b", f"--from-file={data}",
                  "--dry-run=client", "-o", "json"],
                 ["create", "secret", "generic", "s", "--from-literal=password=x",
                  "--dry-run=client", "-o", "yaml"],
                 ["create", "service", "nodeport", "web", "--tcp=80:8080", "--dry-run=client",
                  "-o", "yaml"],
                 ["create", "service", "clusterip", "web"]):
        _same(skiffctl, kubectl, *args)
    assert skiffctl("create", "deployment", "web", "--image=nginx").stdout == \
        "deployment.apps/web created\n"
    assert _obj(skiffctl, "deploy", "web")["spec"]["selector"] == {"matchLabels": {"app": "web"}}
