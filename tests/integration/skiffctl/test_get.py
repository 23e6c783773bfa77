"""``skiffctl get`` against the real apiserver, side by side with real kubectl."""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from tests.integration.skiffctl.conftest import Cli, Lines, same_table, same_text
from tests.integration.skiffctl.manifests import (
    NGINX_DEPLOYMENT,
    NODEPORT_SERVICE,
    REDIS_SLAVE_RC,
    labelled_pod,
)

SEED_PODS = {
    "front-prod": {"environment": "production", "tier": "frontend", "component": "redis"},
    "front-dev": {"environment": "dev", "tier": "frontend"},
    "back-prod": {"environment": "production", "tier": "backend"},
}


def _seed_pods(skiffctl: Cli) -> None:
    docs = "---\n".join(labelled_pod(name, {**labels, "suite": skiffctl.namespace})
                        for name, labels in SEED_PODS.items())
    skiffctl("apply", "-f", "-", stdin=docs)


def test_the_seeds_selector_in_both_syntaxes_finds_the_production_frontend(
        skiffctl: Cli, kubectl: Cli) -> None:
    _seed_pods(skiffctl)
    for selector in ("environment in (production),tier in (frontend)",
                     "environment=production,tier=frontend"):
        ours = skiffctl("get", "pods", "-l", selector, "-o", "name").stdout
        assert ours == "pod/front-prod\n"
        same_table(skiffctl("get", "pods", "-l", selector).stdout,
                   kubectl("get", "pods", "-l", selector).stdout)
    not_prod = skiffctl("get", "pods", "-l", "environment notin (production)", "-o", "name")
    assert not_prod.stdout == "pod/front-dev\n"


def test_default_wide_and_labelled_tables_match_kubectl(skiffctl: Cli, kubectl: Cli) -> None:
    _seed_pods(skiffctl)
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT + "---\n" + REDIS_SLAVE_RC)
    for args in (["get", "pods"], ["get", "pods", "-o", "wide"],
                 ["get", "pods", "--show-labels"], ["get", "pods", "-L", "tier,environment"],
                 ["get", "pods", "--sort-by=.metadata.name"], ["get", "pods", "--no-headers"],
                 ["get", "deployments"], ["get", "rc"], ["get", "deploy,rc"], ["get", "all"],
                 ["get", "pod/front-prod", "rc/redis-slave"], ["get", "pods", "front-dev"]):
        same_table(skiffctl(*args).stdout, kubectl(*args).stdout)


def test_all_namespaces_adds_a_namespace_column(skiffctl: Cli, kubectl: Cli) -> None:
    _seed_pods(skiffctl)
    selector = f"tier=frontend,suite={skiffctl.namespace}"
    ours = skiffctl("get", "pods", "-A", "-l", selector).stdout
    assert ours.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert [line.split()[:2] for line in ours.splitlines()[1:]] == \
        [[skiffctl.namespace, "front-dev"], [skiffctl.namespace, "front-prod"]]
    same_table(ours, kubectl("get", "pods", "-A", "-l", selector).stdout)
    same_table(skiffctl("get", "namespaces").stdout, kubectl("get", "namespaces").stdout)


def test_structured_outputs_match_kubectl(skiffctl: Cli, kubectl: Cli) -> None:
    port = 30000 + int(skiffctl.namespace[-4:], 16) % 2700
    skiffctl("apply", "-f", "-", stdin=NODEPORT_SERVICE % port)
    _seed_pods(skiffctl)
    for args in (["get", "svc", "my-service", "-o", "yaml"], ["get", "svc", "-o", "json"],
                 ["get", "pods", "-o", "name"], ["get", "svc,pods", "-o", "name"],
                 ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"],
                 ["get", "pods", "-o",
                  'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels.tier}{"\\n"}{end}'],
                 ["get", "svc", "my-service", "-o", "jsonpath={.spec.ports[0].nodePort}"],
                 ["get", "pods", "-o", "jsonpath-as-json={.items[*].metadata.labels}"],
                 ["get", "pods", "-o", "custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier,"
                                       "GONE:.spec.nothing"]):
        assert skiffctl(*args).stdout == kubectl(*args).stdout, args
    service = yaml.safe_load(skiffctl("get", "svc", "my-service", "-o", "yaml").stdout)
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["ports"][0]["nodePort"] == port


def test_errors_are_worded_like_kubectl(skiffctl: Cli, kubectl: Cli) -> None:
    for args in (["get", "pods", "nope"], ["get", "foos"], ["get", "pods", "-l", "bad selector!"],
                 ["get", "pods", "--field-selector", "spec.nothing=1"],
                 ["get", "pods", "-o", "yaml", "a", "b"], ["get", "pods", "x", "-l", "a=b"]):
        ours, theirs = skiffctl(*args, check=False), kubectl(*args, check=False)
        assert ours.returncode == theirs.returncode == 1, args
        assert ours.stderr == theirs.stderr, args
    missing = skiffctl("get", "pods", "nope", check=False)
    assert missing.stderr == 'Error from server (NotFound): pods "nope" not found\n'
    unknown = skiffctl("get", "foos", check=False)
    assert unknown.stderr == 'error: the server doesn\'t have a resource type "foos"\n'


def test_empty_results_say_so_on_stderr(skiffctl: Cli, kubectl: Cli) -> None:
    for args in (["get", "pods"], ["get", "pods,svc"], ["get", "pods", "-A", "-l", "none=here"]):
        ours, theirs = skiffctl(*args), kubectl(*args)
        assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr), args
    assert skiffctl("get", "pods").stderr == \
        f"No resources found in {skiffctl.namespace} namespace.\n"


def test_kinds_are_found_by_every_name_kubectl_accepts(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=NGINX_DEPLOYMENT)
    for name in ("deploy", "deployment", "deployments", "Deployment", "deployments.apps",
                 "deployment.apps", "deployments.v1.apps"):
        assert skiffctl("get", name, "-o", "name").stdout == "deployment.apps/nginx-deployment\n"


def test_watch_prints_the_list_then_each_change(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=labelled_pod("watched", {"app": "w"}))
    watcher = skiffctl.popen("get", "pods", "-w", "--output-watch-events")
    lines = Lines(watcher)
    deadline = time.monotonic() + 30
    try:
        assert lines.next(deadline).split()[:2] == ["EVENT", "NAME"]
        assert lines.next(deadline).split()[:2] == ["ADDED", "watched"]
        skiffctl("label", "pod", "watched", "changed=yes")
        assert lines.next(deadline).split()[:2] == ["MODIFIED", "watched"]
        skiffctl("delete", "pod", "watched", "--grace-period=0", "--force")
        assert lines.next(deadline).split()[:2] == ["DELETED", "watched"]
    finally:
        watcher.terminate()
        watcher.wait(10)


def test_watch_only_and_objects(skiffctl: Cli) -> None:
    watcher = skiffctl.popen("-v", "6", "get", "configmaps", "--watch-only", "-o", "name")
    lines, log = Lines(watcher), Lines(watcher, stderr=True)
    deadline = time.monotonic() + 30
    try:
        while "watch=true" not in log.next(deadline):
            continue  # the watch is open once its request is logged
        skiffctl("apply", "-f", "-",
                 stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\ndata: {a: b}\n")
        assert lines.next(deadline) == "configmap/late\n"
    finally:
        watcher.terminate()
        watcher.wait(10)


def test_verbose_logs_each_request_like_kubectl(skiffctl: Cli, kubectl: Cli) -> None:
    ours = skiffctl("-v", "6", "get", "pods").stderr
    theirs = kubectl("-v=6", "get", "pods").stderr
    ours_request = next(line for line in ours.splitlines() if "/pods" in line)
    theirs_request = next(line for line in theirs.splitlines() if "/pods" in line)
    assert ours_request.split("]", 1)[1].split(" in ")[0] == \
        theirs_request.split("]", 1)[1].split(" in ")[0]
    assert ours_request.startswith("I") and ours_request.endswith("milliseconds")


def test_global_flags_go_anywhere(skiffctl: Cli) -> None:
    _seed_pods(skiffctl)
    flagless = [a for a in skiffctl.base if a not in ("-n", skiffctl.namespace)]
    runner = Cli(flagless, skiffctl.namespace)
    after = runner("get", "pods", "front-dev", "-o", "name", "-n", skiffctl.namespace)
    joined = runner("get", "pods", "front-dev", "-o=name", f"--namespace={skiffctl.namespace}")
    assert after.stdout == joined.stdout == "pod/front-dev\n"


def test_get_from_a_file_and_json_round_trip(skiffctl: Cli, tmp_path: Path) -> None:
    path = tmp_path / "rc.yaml"
    path.write_text(REDIS_SLAVE_RC)
    skiffctl("apply", "-f", str(path))
    assert skiffctl("get", "-f", str(path), "-o", "name").stdout == \
        "replicationcontroller/redis-slave\n"
    obj = json.loads(skiffctl("get", "rc", "redis-slave", "-o", "json").stdout)
    assert obj["spec"]["replicas"] == 2 and obj["kind"] == "ReplicationController"
    same_text(skiffctl("describe", "rc", "redis-slave").stdout,
              skiffctl("describe", "-f", str(path)).stdout)
