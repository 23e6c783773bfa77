"""config, version, cluster-info, api-resources, api-versions, explain, completion."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.skiffctl.conftest import SKIFFCTL, Cli, same_table


def _both(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str],
                                              subprocess.CompletedProcess[str]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed on this machine")
    env = {**os.environ, "KUBECONFIG": str(config)}
    ours = subprocess.run([SKIFFCTL, *args], capture_output=True, text=True, env=env)
    theirs = subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env)
    return ours, theirs


@pytest.fixture
def two_contexts(tmp_path: Path, apiserver: str) -> Path:
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "skiff",
        "clusters": [{"name": "skiff", "cluster": {"server": apiserver}},
                     {"name": "far", "cluster": {"server": "https://10.1.2.3:6443",
                                                 "certificate-authority-data": "Q0E="}}],
        "users": [{"name": "skiff", "user": {}},
                  {"name": "far", "user": {"token": "secret-token"}}],
        "contexts": [{"name": "skiff", "context": {"cluster": "skiff", "user": "skiff"}},
                     {"name": "far", "context": {"cluster": "far", "user": "far",
                                                 "namespace": "prod"}}],
    }))
    return config


def test_config_reading_commands_match_kubectl(two_contexts: Path) -> None:
    for args in (["config", "view"], ["config", "view", "--raw"], ["config", "view", "--minify"],
                 ["config", "view", "-o", "json"], ["config", "get-contexts"],
                 ["config", "get-contexts", "far"], ["config", "get-contexts", "-o", "name"],
                 ["config", "current-context"], ["config", "use-context", "nowhere"]):
        ours, theirs = _both(two_contexts, *args)
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (theirs.returncode, theirs.stdout, theirs.stderr), args
    view = yaml.safe_load(_both(two_contexts, "config", "view")[0].stdout)
    far = next(u for u in view["users"] if u["name"] == "far")
    assert far["user"]["token"] == "REDACTED"


def test_config_edits_the_file_as_kubectl_does(two_contexts: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copy(two_contexts, twin)
    env = {**os.environ}
    for args in (["config", "use-context", "far"],
                 ["config", "set-context", "--current", "--namespace=staging"],
                 ["config", "set-context", "new", "--cluster=skiff", "--user=skiff"]):
        ours = subprocess.run([SKIFFCTL, "--kubeconfig", str(two_contexts), *args],
                              capture_output=True, text=True, env=env)
        theirs = subprocess.run(["kubectl", "--kubeconfig", str(twin), *args],
                                capture_output=True, text=True, env=env) \
            if shutil.which("kubectl") else ours
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), args
    ours_doc, theirs_doc = yaml.safe_load(two_contexts.read_text()), yaml.safe_load(twin.read_text())
    assert ours_doc["current-context"] == "far"
    far = next(c for c in ours_doc["contexts"] if c["name"] == "far")
    assert far["context"]["namespace"] == "staging"
    assert {c["name"] for c in ours_doc["contexts"]} == {c["name"] for c in theirs_doc["contexts"]}


def test_the_context_namespace_is_the_default_namespace(skiffctl: Cli, kubeconfig: Path,
                                                        tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copy(kubeconfig, config)
    run = [SKIFFCTL, "--kubeconfig", str(config)]
    subprocess.run([*run, "config", "set-context", "--current",
                    f"--namespace={skiffctl.namespace}"], check=True, capture_output=True)
    skiffctl("create", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: here}\n")
    found = subprocess.run([*run, "get", "cm", "here", "-o", "name"], capture_output=True,
                           text=True)
    assert found.stdout == "configmap/here\n"


def test_server_and_token_flags_override_the_kubeconfig(skiffctl: Cli, apiserver: str,
                                                        tmp_path: Path) -> None:
    bare = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"} | {"HOME": str(tmp_path)}
    run = subprocess.run([SKIFFCTL, "-s", apiserver, "--token", "abc", "get", "ns",
                          skiffctl.namespace, "-o", "name"], capture_output=True, text=True,
                         env=bare)
    assert run.stdout == f"namespace/{skiffctl.namespace}\n", run.stderr
    missing = subprocess.run([SKIFFCTL, "--kubeconfig", str(tmp_path / "none"), "get", "ns"],
                             capture_output=True, text=True)
    assert missing.stderr == f"error: stat {tmp_path / 'none'}: no such file or directory\n"
    refused = subprocess.run([SKIFFCTL, "-s", "http://127.0.0.1:1", "get", "pods"],
                             capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stderr == ("The connection to the server 127.0.0.1:1 was refused - did you "
                              "specify the right host or port?\n")


def test_discovery_commands_match_kubectl(skiffctl: Cli, kubectl: Cli) -> None:
    for args in (["api-resources"], ["api-resources", "-o", "wide"], ["api-resources", "-o", "name"],
                 ["api-resources", "--namespaced=false"], ["api-resources", "--api-group=apps"],
                 ["api-versions"], ["cluster-info"]):
        ours, theirs = skiffctl(*args), kubectl(*args)
        if args[0] == "api-resources" and "name" not in args:
            same_table(ours.stdout, theirs.stdout)
        else:
            assert ours.stdout == theirs.stdout, args


def test_version_shows_client_and_server(skiffctl: Cli, kubectl: Cli) -> None:
    ours = skiffctl("version").stdout.splitlines()
    assert ours[0].startswith("Client Version: v")
    server = next(line for line in kubectl("version").stdout.splitlines()
                  if line.startswith("Server Version"))
    assert ours[1] == server
    assert skiffctl("version", "--client").stdout.count("\n") == 1
    assert "serverVersion:" in skiffctl("version", "-o", "yaml").stdout


def test_completion_scripts_come_from_typer(skiffctl: Cli) -> None:
    bash = skiffctl("completion", "bash").stdout
    assert "_SKIFFCTL_COMPLETE" in bash and "complete" in bash
    done = subprocess.run([SKIFFCTL], capture_output=True, text=True,
                          env={**os.environ, "_SKIFFCTL_COMPLETE": "complete_bash",
                               "COMP_WORDS": "skiffctl get po", "COMP_CWORD": "2"})
    assert "pods" in done.stdout.split() and "pod" in done.stdout.split()


def test_explain_reads_the_servers_openapi(skiffctl: Cli, kubectl: Cli) -> None:
    for args in (["explain", "pods"], ["explain", "deployment.spec.replicas"],
                 ["explain", "svc.spec", "--recursive"], ["explain", "pods.spec", "--recursive"],
                 ["explain", "pods.spec.containers"], ["explain", "nodes.status"],
                 ["explain", "deploy.spec.strategy.rollingUpdate.maxSurge"]):
        assert skiffctl(*args).stdout == kubectl(*args).stdout, args
