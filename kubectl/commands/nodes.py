"""Node maintenance: cordon, uncordon, drain, taint."""

from __future__ import annotations

from typing import Annotated

import typer

from kubectl.cli import run
from kubectl.commands.options import AllFlag, DryRun, Selector, dry_run_mode

__all__ = ["register"]

Nodes = Annotated[list[str] | None, typer.Argument(help="NODE ...", show_default=False)]


def cordon(nodes: Nodes = None, selector: Selector = None, dry_run: DryRun = "none") -> None:
    """Mark node as unschedulable."""
    from kubectl.nodes import cordon as do_cordon

    run(do_cordon, list(nodes or ()), selector, True, dry_run_mode(dry_run))


def uncordon(nodes: Nodes = None, selector: Selector = None, dry_run: DryRun = "none") -> None:
    """Mark node as schedulable."""
    from kubectl.nodes import cordon as do_cordon

    run(do_cordon, list(nodes or ()), selector, False, dry_run_mode(dry_run))


def drain(
    nodes: Nodes = None,
    selector: Selector = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Also delete pods no controller manages.")] = False,
    ignore_daemonsets: Annotated[bool, typer.Option(
        "--ignore-daemonsets", help="Ignore DaemonSet-managed pods.")] = False,
    delete_emptydir_data: Annotated[bool, typer.Option(
        "--delete-emptydir-data", help="Continue even if pods use emptyDir.")] = False,
    grace_period: Annotated[int, typer.Option("--grace-period")] = -1,
    timeout: Annotated[str, typer.Option("--timeout", help="Give up after this long (0: never).")]
    = "0s",
    disable_eviction: Annotated[bool, typer.Option(
        "--disable-eviction", help="Delete instead of evicting (ignores budgets).")] = False,
    pod_selector: Annotated[str | None, typer.Option("--pod-selector")] = None,
    dry_run: DryRun = "none",
) -> None:
    """Drain node in preparation for maintenance."""
    from kubectl.durations import parse_duration
    from kubectl.nodes import DrainOptions
    from kubectl.nodes import drain as do_drain

    opts = DrainOptions(list(nodes or ()), selector, force, ignore_daemonsets,
                        delete_emptydir_data, grace_period, parse_duration(timeout),
                        disable_eviction, pod_selector, dry_run_mode(dry_run))
    run(do_drain, opts)


def taint(
    args: Annotated[list[str] | None, typer.Argument(
        help="node NAME KEY=VAL:EFFECT | KEY:EFFECT- | KEY- ...", show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
    selector: Selector = None,
    all_: AllFlag = False,
    dry_run: DryRun = "none",
) -> None:
    """Update the taints on one or more nodes."""
    from kubectl.nodes import taint as do_taint

    run(do_taint, list(args or ()), selector, all_, overwrite, dry_run_mode(dry_run))


def register(app: typer.Typer) -> None:
    app.command("cordon")(cordon)
    app.command("uncordon")(uncordon)
    app.command("drain")(drain)
    app.command("taint")(taint)
