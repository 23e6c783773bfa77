"""``skiffctl wait --for=...``: conditions, JSONPath values, creation and deletion."""

from __future__ import annotations

import json
import time

from tests.integration.skiffctl.conftest import Cli, Lines
from tests.integration.skiffctl.manifests import labelled_pod

READY = {"status": {"conditions": [{"type": "Ready", "status": "True"}], "phase": "Running"}}


def test_condition_met_after_the_status_changes(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=labelled_pod("p", {"app": "w"}))
    waiter = skiffctl.popen("-v", "6", "wait", "--for=condition=Ready", "pod/p", "--timeout=60s")
    log = Lines(waiter, stderr=True)
    deadline = time.monotonic() + 30
    while "watch=true" not in log.next(deadline):
        continue  # the wait is watching now
    skiffctl("patch", "pod", "p", "--subresource=status", "--type=merge", "-p",
             json.dumps(READY))
    out, _ = waiter.communicate(timeout=60)
    assert waiter.returncode == 0 and out == "pod/p condition met\n"
    again = skiffctl("wait", "--for=condition=ready=true", "pods", "-l", "app=w")
    assert again.stdout == "pod/p condition met\n"  # case-insensitive, by selector


def test_jsonpath_values_and_timeouts(skiffctl: Cli) -> None:
    skiffctl("apply", "-f", "-", stdin=labelled_pod("p", {"app": "w"}))
    skiffctl("patch", "pod", "p", "--subresource=status", "--type=merge", "-p",
             json.dumps(READY))
    assert skiffctl("wait", "--for=jsonpath={.status.phase}=Running", "pod/p").stdout == \
        "pod/p condition met\n"
    assert skiffctl("wait", "--for=jsonpath=.status.phase", "pod/p").stdout == \
        "pod/p condition met\n"
    late = skiffctl("wait", "--for=jsonpath={.status.phase}=Failed", "pod/p", "--timeout=1s",
                    check=False)
    assert late.returncode == 1
    assert late.stderr == "error: timed out waiting for the condition on pods/p\n"
    once = skiffctl("wait", "--for=condition=Ready=false", "pod/p", "--timeout=0", check=False)
    assert once.stderr == "error: condition not met for pods/p\n"


def test_delete_and_create(skiffctl: Cli, kubectl: Cli) -> None:
    assert skiffctl("wait", "--for=delete", "pod/never-there").stdout == ""
    creator = skiffctl.popen("wait", "--for=create", "pod/later", "--timeout=60s")
    skiffctl("apply", "-f", "-", stdin=labelled_pod("later", {"app": "w"}))
    out, _ = creator.communicate(timeout=60)
    assert out == "pod/later condition met\n"
    for args in (["wait", "--for=bogus", "pod/later"], ["wait", "--for=condition=Ready", "pod/x"],
                 ["wait", "pod/later"]):
        ours, theirs = skiffctl(*args, check=False), kubectl(*args, check=False)
        assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr), args
