"""Reading the command line the way kubectl users type it."""

from __future__ import annotations

import pytest
import typer

from apimachinery import registry
from kubectl.durations import parse_duration
from kubectl.errors import CommandError
from kubectl.main import app, hoist_globals, normalize_flags
from kubectl.mutate import parse_pairs, split_args
from kubectl.printing import OutputFormat, parse_output
from kubectl.session import match_resource

COMMAND = typer.main.get_command(app)


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param(["get", "pods", "-n", "kube-system"], ["--namespace", "kube-system", "get", "pods"],
                 id="a namespace after the verb moves in front"),
    pytest.param(["get", "pods", "-nkube-system", "-A"],
                 ["--namespace", "kube-system", "-A", "get", "pods"], id="glued short flags"),
    pytest.param(["-v=6", "get", "po", "--context=dev"], ["-v", "6", "--context", "dev", "get", "po"],
                 id="flag=value forms"),
    pytest.param(["exec", "p", "--", "ls", "-n"], ["exec", "p", "--", "ls", "-n"],
                 id="nothing after -- is touched"),
    pytest.param(["config", "set-context", "--current", "--namespace=x"],
                 ["config", "set-context", "--current", "--namespace=x"],
                 id="set-context keeps its own --namespace"),
    pytest.param(["get", "pods", "--all-namespaces=false"], ["get", "pods"],
                 id="a false boolean is dropped"),
])
def test_global_flags_are_hoisted(given: list[str], expected: list[str]) -> None:
    assert hoist_globals(given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    (["delete", "cm", "x", "--wait=false"], ["delete", "cm", "x", "--no-wait"]),
    (["delete", "cm", "x", "--wait=true"], ["delete", "cm", "x", "--wait"]),
    (["get", "pods", "--show-labels=false"], ["get", "pods"]),
    (["get", "pods", "-o=wide"], ["get", "pods", "-o", "wide"]),
    (["apply", "-f", "x.yaml", "--dry-run"], ["apply", "-f", "x.yaml", "--dry-run=client"]),
    (["--namespace", "x", "rollout", "status", "d", "--watch=false"],
     ["--namespace", "x", "rollout", "status", "d", "--no-watch"]),
])
def test_kubectl_flag_spellings_are_understood(given: list[str], expected: list[str]) -> None:
    assert normalize_flags(COMMAND, given) == expected


def test_resource_arguments_and_key_value_pairs_are_told_apart() -> None:
    assert split_args(["pods", "web", "a=b", "c-"]) == (["pods", "web"], ["a=b", "c-"])
    assert split_args(["deploy/web"]) == (["deploy/web"], [])
    assert parse_pairs(["a=b", "c=", "d-", "e=x=y"], "label") == \
        ({"a": "b", "c": "", "e": "x=y"}, ["d"])
    with pytest.raises(CommandError, match="invalid label format: oops, =x"):
        parse_pairs(["oops", "=x"], "label")


@pytest.mark.parametrize(("name", "expected"), [
    ("po", "pods"), ("pod", "pods"), ("Pod", "pods"), ("deploy", "deployments"),
    ("deployments.apps", "deployments"), ("deployment.v1.apps", "deployments"),
    ("rs.apps", "replicasets"), ("ev", "events"), ("clusterroles.rbac.authorization.k8s.io",
                                                    "clusterroles"),
])
def test_every_name_kubectl_accepts_maps_to_its_resource(name: str, expected: str) -> None:
    found = match_resource(name, list(registry.RESOURCES))
    assert found is not None and found.plural == expected


@pytest.mark.parametrize("name", ["foos", "deployments.batch", "pods.v2"])
def test_names_without_a_resource_map_to_nothing(name: str) -> None:
    assert match_resource(name, list(registry.RESOURCES)) is None


@pytest.mark.parametrize(("spec", "expected"), [
    (None, OutputFormat()), ("wide", OutputFormat("wide")),
    ("jsonpath={.a}", OutputFormat("jsonpath", "{.a}")),
    ("custom-columns=A:.a,B:.b", OutputFormat("custom-columns", "A:.a,B:.b")),
])
def test_output_formats(spec: str | None, expected: OutputFormat) -> None:
    assert parse_output(spec) == expected


def test_an_unknown_output_format_lists_the_known_ones() -> None:
    with pytest.raises(CommandError, match='unable to match a printer suitable for the output '
                                           'format "xml", allowed formats are: custom-columns'):
        parse_output("xml")


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("1m30s", 90), ("500ms", 0.5), ("2h", 7200), ("0", 0), ("1.5m", 90),
])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_duration_names_the_flag() -> None:
    with pytest.raises(CommandError, match='invalid argument "5 mins" for "--timeout" flag'):
        parse_duration("5 mins")


def _run(args: list[str]) -> int:
    from kubectl.main import main

    with pytest.raises(SystemExit) as done:
        main(args)
    return int(done.value.code or 0)


def test_unknown_flags_are_refused_in_kubectls_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["get", "pods", "--nope"]) == 1
    assert capsys.readouterr().err == ("Error: unknown flag: --nope\n"
                                       "See 'skiffctl get --help' for usage.\n")
    assert _run(["get", "pods", "-x"]) == 1
    assert "unknown shorthand flag: 'x' in -x" in capsys.readouterr().err


def test_a_bare_group_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["rollout"]) == 0
    assert "undo" in capsys.readouterr().out


def test_help_and_completion_do_not_load_the_client() -> None:
    import subprocess
    import sys

    probe = ("import sys, kubectl.main; "
             "print(sorted(m for m in ('client', 'apimachinery', 'httpx', 'pydantic', 'yaml') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "[]\n"
