"""create, apply, replace and delete: files in, objects out, as kubectl does it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.integration.skiffctl.conftest import Cli, kubectl_validate_flag
from tests.integration.skiffctl.manifests import NGINX_DEPLOYMENT, REDIS_SLAVE_RC

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _obj(cli: Cli, *what: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cli("get", *what, "-o", "json").stdout)


def test_the_seed_deployment_applies_then_is_unchanged_then_configured(
        skiffctl: Cli, tmp_path: Path) -> None:
    path = tmp_path / "nginx.yaml"
    path.write_text(NGINX_DEPLOYMENT)
    assert skiffctl("apply", "-f", str(path)).stdout == \
        "deployment.apps/nginx-deployment created\n"
    assert skiffctl("apply", "-f", str(path)).stdout == \
        "deployment.apps/nginx-deployment unchanged\n"
    path.write_text(NGINX_DEPLOYMENT.replace("replicas: 3", "replicas: 4"))
    assert skiffctl("apply", "-f", str(path)).stdout == \
        "deployment.apps/nginx-deployment configured\n"
    assert _obj(skiffctl, "deploy", "nginx-deployment")["spec"]["replicas"] == 4


def test_a_field_removed_from_the_file_is_removed_from_the_object(
        skiffctl: Cli, tmp_path: Path) -> None:
    path = tmp_path / "nginx.yaml"
    path.write_text(NGINX_DEPLOYMENT.replace("  labels:\n    app: nginx\n",
                                             "  labels:\n    app: nginx\n    tier: web\n", 1))
    skiffctl("apply", "-f", str(path))
    skiffctl("label", "deploy", "nginx-deployment", "added-by-hand=yes")
    path.write_text(NGINX_DEPLOYMENT.replace("        ports:\n        - containerPort: 80\n", ""))
    assert "configured" in skiffctl("apply", "-f", str(path)).stdout
    live = _obj(skiffctl, "deploy", "nginx-deployment")
    assert "ports" not in live["spec"]["template"]["spec"]["containers"][0]
    assert "tier" not in live["metadata"]["labels"]
    assert live["metadata"]["labels"]["added-by-hand"] == "yes"  # not ours: left alone


def test_last_applied_annotation_is_what_kubectl_writes(
        skiffctl: Cli, kubectl: Cli, apiserver: str, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.yaml", tmp_path / "theirs.yaml"
    ours.write_text(NGINX_DEPLOYMENT)
    theirs.write_text(NGINX_DEPLOYMENT.replace("name: nginx-deployment", "name: by-kubectl"))
    skiffctl("apply", "-f", str(ours))
    kubectl("apply", *kubectl_validate_flag(apiserver), "-f", str(theirs))
    mine = _obj(skiffctl, "deploy", "nginx-deployment")["metadata"]["annotations"][LAST_APPLIED]
    real = _obj(skiffctl, "deploy", "by-kubectl")["metadata"]["annotations"][LAST_APPLIED]
    assert mine == real.replace("by-kubectl", "nginx-deployment")
    # and each tool takes over from the other without a spurious change
    theirs.write_text(NGINX_DEPLOYMENT.replace("name: nginx-deployment", "name: by-kubectl"))
    assert skiffctl("apply", "-f", str(theirs)).stdout == "deployment.apps/by-kubectl unchanged\n"


def test_directories_recursion_stdin_multi_document_json_and_lists(
        skiffctl: Cli, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    (tmp_path / "c.json").write_text(json.dumps(
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}}]}))
    (tmp_path / "sub" / "e.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    flat = skiffctl("apply", "-f", str(tmp_path)).stdout
    assert flat.splitlines() == [f"configmap/{n} created" for n in "abcd"]
    deep = skiffctl("apply", "-R", "-f", str(tmp_path)).stdout
    assert deep.splitlines() == [f"configmap/{n} unchanged" for n in "abcd"] + \
        ["configmap/e created"]
    piped = skiffctl("apply", "-f", "-", stdin=REDIS_SLAVE_RC).stdout
    assert piped == "replicationcontroller/redis-slave created\n"


def test_a_bad_document_stops_everything_and_names_file_document_and_field(
        skiffctl: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\n"
                    + NGINX_DEPLOYMENT.replace("replicas: 3", "replica: 3")
                    .replace("containerPort: 80", "containerPort: eighty"))
    for verb in ("apply", "create"):
        done = skiffctl(verb, "-f", str(path), check=False)
        assert done.returncode == 1
        assert done.stdout == ""
        assert f'error validating "{path}"' in done.stderr
        assert 'document 2 (Deployment "nginx-deployment")' in done.stderr
        assert 'unknown field "spec.replica"' in done.stderr
        assert "spec.template.spec.containers[0].ports[0].containerPort" in done.stderr
    assert skiffctl("get", "cm", "fine", check=False).stderr == \
        'Error from server (NotFound): configmaps "fine" not found\n'
    unknown = skiffctl("apply", "-f", "-", check=False,
                       stdin="apiVersion: v9\nkind: Gizmo\nmetadata: {name: g}\n")
    assert 'no matches for kind "Gizmo" in version "v9"' in unknown.stderr
    skipped = skiffctl("apply", "--validate=false", "-f", str(tmp_path / "mixed.yaml"),
                       check=False)
    assert "configmap/fine created" in skipped.stdout


def test_create_replace_and_their_errors_match_kubectl(
        skiffctl: Cli, kubectl: Cli, apiserver: str, tmp_path: Path) -> None:
    path = tmp_path / "rc.yaml"
    path.write_text(REDIS_SLAVE_RC)
    assert skiffctl("create", "-f", str(path)).stdout == \
        "replicationcontroller/redis-slave created\n"
    ours = skiffctl("create", "-f", str(path), check=False)
    theirs = kubectl("create", *kubectl_validate_flag(apiserver), "-f", str(path), check=False)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr)
    assert ours.stderr == ('Error from server (AlreadyExists): error when creating '
                           f'"{path}": replicationcontrollers "redis-slave" already exists\n')
    path.write_text(REDIS_SLAVE_RC.replace("replicas: 2", "replicas: 5"))
    assert skiffctl("replace", "-f", str(path)).stdout == \
        "replicationcontroller/redis-slave replaced\n"
    assert _obj(skiffctl, "rc", "redis-slave")["spec"]["replicas"] == 5
    invalid = skiffctl("replace", "-f", "-", check=False,
                       stdin=REDIS_SLAVE_RC.replace("replicas: 2", "replicas: -1"))
    real = kubectl("replace", *kubectl_validate_flag(apiserver), "-f", "-", check=False,
                   stdin=REDIS_SLAVE_RC.replace("replicas: 2", "replicas: -1"))
    assert invalid.stderr == real.stderr and invalid.returncode == real.returncode == 1
    assert invalid.stderr.startswith('The ReplicationController "redis-slave" is invalid: ')


def test_dry_runs_send_nothing(skiffctl: Cli, tmp_path: Path) -> None:
    path = tmp_path / "nginx.yaml"
    path.write_text(NGINX_DEPLOYMENT)
    assert skiffctl("apply", "-f", str(path), "--dry-run=client").stdout == \
        "deployment.apps/nginx-deployment created (dry run)\n"
    assert skiffctl("create", "-f", str(path), "--dry-run=server").stdout == \
        "deployment.apps/nginx-deployment created (server dry run)\n"
    printed = yaml.safe_load(skiffctl("apply", "-f", str(path), "--dry-run=server",
                                      "-o", "yaml").stdout)
    assert printed["metadata"]["uid"]  # the server filled it in ...
    assert skiffctl("get", "deploy", check=False).stderr.startswith("No resources found")


def test_delete_by_name_file_selector_and_all(skiffctl: Cli, kubectl: Cli,
                                             tmp_path: Path) -> None:
    path = tmp_path / "cms.yaml"
    path.write_text("".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {n}, labels: {{g: '{g}'}}}}\n"
        for n, g in (("one", "x"), ("two", "x"), ("three", "y"), ("four", "y"))))
    skiffctl("apply", "-f", str(path))
    assert skiffctl("delete", "cm", "one").stdout == 'configmap "one" deleted\n'
    assert skiffctl("delete", "cm", "-l", "g=x").stdout == 'configmap "two" deleted\n'
    assert skiffctl("delete", "cm", "--all").stdout.splitlines() == \
        ['configmap "four" deleted', 'configmap "three" deleted']
    skiffctl("apply", "-f", str(path))
    assert skiffctl("delete", "-f", str(path), "--wait=false").stdout.splitlines() == \
        [f'configmap "{n}" deleted' for n in ("one", "two", "three", "four")]
    for args in (["delete", "cm", "nope"], ["delete", "cm"], ["delete"],
                 ["delete", "cm", "-l", "g=none"], ["delete", "cm", "x", "--cascade=sideways"]):
        ours, theirs = skiffctl(*args, check=False), kubectl(*args, check=False)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (theirs.returncode, theirs.stdout, theirs.stderr), args


def test_delete_waits_until_a_finalizer_lets_go(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                      "  name: held\n  finalizers: [example.com/hold]\n")
    waiting = skiffctl.popen("delete", "cm", "held", "--timeout=60s")
    skiffctl("wait", "--for=jsonpath={.metadata.deletionTimestamp}", "cm/held")
    assert waiting.poll() is None  # still waiting: the object is not gone
    skiffctl("patch", "cm", "held", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0 and out == 'configmap "held" deleted\n'
    timed_out = skiffctl("apply", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                  "  name: held2\n  finalizers: [example.com/h]\n")
    assert timed_out.returncode == 0
    late = skiffctl("delete", "cm", "held2", "--timeout=1s", check=False)
    assert late.returncode == 1
    assert late.stderr == "error: timed out waiting for the condition on configmaps/held2\n"
    skiffctl("patch", "cm", "held2", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
