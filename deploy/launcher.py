"""`skiff`: the launcher behind `make up` and `make down`.

A thin command line over deploy.cluster: it turns flags into a ClusterConfig, runs the
ordered actions, and turns their errors into a message and an exit code. Every location
and port is a flag so tests can run a second cluster beside a real one; `up` records them
in <run-dir>/cluster.json, so `down`, `status` and `logs` only need `--run-dir`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from client.kubeconfig import kubeconfig_paths
from deploy.cluster import (
    Action,
    ActionFailed,
    Context,
    down_actions,
    execute,
    format_status,
    status,
    up_actions,
)
from deploy.components import ClusterConfig, detect_node_ip, plan
from deploy.run import run

app = typer.Typer(
    help="Run a single-node skiff cluster on this host.", no_args_is_help=True, add_completion=False
)

DEFAULTS = ClusterConfig()

RunDir = Annotated[Path, typer.Option(help="Pid files and the cluster's recorded settings.")]


def say(message: str) -> None:
    typer.echo(message)


@app.command()
def up(
    run_dir: RunDir = DEFAULTS.run_dir,
    data_dir: Annotated[Path, typer.Option(help="etcd data and component files.")] = DEFAULTS.data_dir,
    log_dir: Annotated[Path, typer.Option(help="One log per component.")] = DEFAULTS.log_dir,
    etcd_port: int = DEFAULTS.etcd_port,
    etcd_peer_port: int = DEFAULTS.etcd_peer_port,
    apiserver_port: Annotated[
        int, typer.Option(help="Plain HTTP port on 127.0.0.1.")
    ] = DEFAULTS.apiserver_port,
    secure_port: Annotated[int, typer.Option(help="HTTPS port; 0 disables it.")] = DEFAULTS.secure_port,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            help="Kubeconfig to add the skiff context to; default: $KUBECONFIG or ~/.kube/config",
            show_default=False,
        ),
    ] = None,
    node_ip: Annotated[
        str | None,
        typer.Option(
            help="The kubelet's node IP; default: the address of the default route's interface",
            show_default=False,
        ),
    ] = None,
    components: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated subset to start, e.g. etcd,apiserver; default: all installed",
            show_default=False,
        ),
    ] = None,
    install: Annotated[bool, typer.Option(help="Install missing host packages first.")] = True,
    images: Annotated[bool, typer.Option(help="Build the local images first.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds each component gets to be healthy.")] = 60.0,
) -> None:
    """Start the cluster (idempotent: healthy components are left alone)."""
    config = ClusterConfig(
        data_dir=data_dir, run_dir=run_dir, log_dir=log_dir, etcd_port=etcd_port,
        etcd_peer_port=etcd_peer_port, apiserver_port=apiserver_port, secure_port=secure_port,
        kubeconfig=kubeconfig or kubeconfig_paths()[0],
        node_ip=node_ip or detect_node_ip(),
    )  # fmt: skip
    selected = components.split(",") if components else None
    try:
        to_start, not_installed = plan(selected)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--components") from err
    if not_installed:
        say(f"not installed yet, skipped: {', '.join(c.name for c in not_installed)}")
    actions = up_actions(to_start, install=install, images=images)
    _execute(
        actions,
        Context(config, say=say, start_timeout=timeout),
        failed="skiff up failed",
        hint=f"skiff down --run-dir {run_dir}",
    )
    _print_next_steps(config)


@app.command()
def down(run_dir: RunDir = DEFAULTS.run_dir) -> None:
    """Stop the cluster's components in reverse order; etcd data is kept."""
    config = ClusterConfig.load(run_dir)
    _execute(down_actions(), Context(config, say=say), failed="skiff down failed")
    say("skiff is down")


@app.command(name="status")
def status_command(run_dir: RunDir = DEFAULTS.run_dir) -> None:
    """A table of the components with their pid, whether they run and their health."""
    rows = status(ClusterConfig.load(run_dir))
    if not rows:
        say("no skiff components are running here (start them with `skiff up`)")
        raise typer.Exit(1)
    say(format_status(rows))
    if not all(row.good for row in rows):
        raise typer.Exit(1)


@app.command()
def logs(
    component: Annotated[str, typer.Argument(help="etcd, apiserver, ... or dockerd")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    run_dir: RunDir = DEFAULTS.run_dir,
) -> None:
    """Print a component's log (or follow it with -f)."""
    log_file = ClusterConfig.load(run_dir).log_file(component)
    if not log_file.exists():
        say(f"no log for {component!r} at {log_file}")
        raise typer.Exit(1)
    if not follow:
        sys.stdout.write(log_file.read_text(errors="replace"))
        return
    try:
        run(["tail", "-n", "+1", "-F", log_file], capture=False)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how one stops following


def _execute(actions: list[Action], context: Context, failed: str, hint: str = "") -> None:
    try:
        execute(actions, context)
    except ActionFailed as err:
        typer.echo(f"{failed} at {err}", err=True)
        if hint:
            typer.echo(f"(anything already started keeps running: `{hint}` stops it)", err=True)
        raise typer.Exit(1) from err


def _print_next_steps(config: ClusterConfig) -> None:
    kubeconfig = (
        "" if config.kubeconfig == kubeconfig_paths()[0] else f" --kubeconfig {config.kubeconfig}"
    )
    run_dir = "" if config.run_dir == DEFAULTS.run_dir else f" --run-dir {config.run_dir}"
    say("")
    say("skiff is up. Try:")
    say(f"  kubectl{kubeconfig} --context skiff get ns")
    say(f"  skiffctl{kubeconfig} get nodes")
    say(f"  skiff status{run_dir}")
    say(f"Logs are in {config.log_dir}/<component>.log (`skiff logs COMPONENT -f`).")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
