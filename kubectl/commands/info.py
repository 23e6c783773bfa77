"""Cluster information and client configuration: api-resources, api-versions, explain,
version, cluster-info, config, wait, completion."""

from __future__ import annotations

from typing import Annotated

import typer

from kubectl import cli
from kubectl.cli import run, run_local
from kubectl.commands.options import AllFlag, Filenames, Output, Selector

__all__ = ["register"]


def api_resources(
    output: Annotated[str | None, typer.Option("--output", "-o", help="wide or name.")] = None,
    namespaced: Annotated[str | None, typer.Option(
        "--namespaced", help="true: only namespaced resources; false: only cluster-wide.")]
    = None,
    api_group: Annotated[str | None, typer.Option("--api-group")] = None,
    verbs: Annotated[list[str] | None, typer.Option("--verbs")] = None,
    categories: Annotated[list[str] | None, typer.Option("--categories")] = None,
    sort_by: Annotated[str | None, typer.Option("--sort-by", help="name or kind.")] = None,
    no_headers: Annotated[bool, typer.Option("--no-headers")] = False,
) -> None:
    """Print the supported API resources on the server."""
    from kubectl.info import api_resources as do_list

    scoped = None if namespaced is None else namespaced.lower() in ("true", "1", "yes")
    run(do_list, output, scoped, api_group,
        [v for spec in verbs or () for v in spec.split(",") if v], sort_by, no_headers,
        [c for spec in categories or () for c in spec.split(",") if c])


def api_versions() -> None:
    """Print the supported API versions on the server, in the form of "group/version"."""
    from kubectl.info import api_versions as do_versions

    run(do_versions)


def explain(
    path: Annotated[str, typer.Argument(help="TYPE[.FIELD.FIELD...]")],
    recursive: Annotated[bool, typer.Option("--recursive", help="Print every nested field.")]
    = False,
    api_version: Annotated[str | None, typer.Option("--api-version")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Get documentation for a resource (from the server's OpenAPI v3)."""
    from kubectl.info import explain as do_explain

    run(do_explain, path, recursive, api_version, output)


def version(
    client: Annotated[bool, typer.Option("--client", help="Client version only.")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o", help="yaml or json.")] = None,
) -> None:
    """Print the client and server version information."""
    from kubectl.info import version as do_version

    run(do_version, client, output)


def cluster_info() -> None:
    """Display addresses of the control plane and services with the cluster-service label."""
    from kubectl.info import cluster_info as do_info

    run(do_info)


def wait(
    args: Annotated[list[str] | None, typer.Argument(show_default=False)] = None,
    for_: Annotated[str, typer.Option(
        "--for", help="delete, create, condition=NAME[=VALUE] or jsonpath=EXPR[=VALUE].")] = "",
    timeout: Annotated[str, typer.Option("--timeout", help="How long to wait.")] = "30s",
    selector: Selector = None,
    all_: AllFlag = False,
    filename: Filenames = None,
    output: Output = None,
) -> None:
    """Wait for a specific condition on one or many resources."""
    from kubectl.durations import parse_duration
    from kubectl.wait import wait as do_wait

    seconds = parse_duration(timeout)
    run(do_wait, list(args or ()), for_, 7 * 24 * 3600 if seconds < 0 else seconds, selector,
        all_, list(filename or ()), output)


config_app = typer.Typer(help="Modify kubeconfig files.", no_args_is_help=True)


@config_app.command("view")
def config_view(
    raw: Annotated[bool, typer.Option("--raw", help="Show certificates and tokens.")] = False,
    minify: Annotated[bool, typer.Option("--minify", help="Only the current context.")] = False,
    output: Output = None,
) -> None:
    """Display merged kubeconfig settings or a specified kubeconfig file."""
    from kubectl.configcmd import view

    run_local(lambda: view(cli.GLOBALS, raw, minify, output))


@config_app.command("current-context")
def config_current_context() -> None:
    """Display the current-context."""
    from kubectl.configcmd import current_context

    run_local(lambda: current_context(cli.GLOBALS))


@config_app.command("get-contexts")
def config_get_contexts(
    names: Annotated[list[str] | None, typer.Argument(show_default=False)] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="name")] = None,
    no_headers: Annotated[bool, typer.Option("--no-headers")] = False,
) -> None:
    """Describe one or many contexts."""
    from kubectl.configcmd import get_contexts

    run_local(lambda: get_contexts(cli.GLOBALS, list(names or ()), output, no_headers))


@config_app.command("use-context")
def config_use_context(name: Annotated[str, typer.Argument()]) -> None:
    """Set the current-context in a kubeconfig file."""
    from kubectl.configcmd import use_context

    run_local(lambda: use_context(cli.GLOBALS, name))


config_app.command("use", hidden=True)(config_use_context)


@config_app.command("set-context")
def config_set_context(
    name: Annotated[str | None, typer.Argument()] = None,
    current: Annotated[bool, typer.Option("--current", help="Modify the current context.")]
    = False,
    namespace: Annotated[str | None, typer.Option("--namespace", help="The context's namespace.")]
    = None,
    cluster: Annotated[str | None, typer.Option("--cluster")] = None,
    user: Annotated[str | None, typer.Option("--user")] = None,
) -> None:
    """Set a context entry in kubeconfig."""
    from kubectl.configcmd import set_context

    run_local(lambda: set_context(cli.GLOBALS, name, current, namespace, cluster, user))


def completion(shell: Annotated[str, typer.Argument(help="bash, zsh, fish or powershell.")]
               ) -> None:
    """Output shell completion code for the specified shell (bash, zsh, fish, powershell)."""
    def script() -> int:
        from typer._completion_shared import get_completion_script

        if shell not in ("bash", "zsh", "fish", "powershell", "pwsh"):
            raise cli.CommandError(f'Unsupported shell type "{shell}".')
        print(get_completion_script(prog_name="skiffctl", complete_var="_SKIFFCTL_COMPLETE",
                                    shell=shell))
        return 0

    run_local(script)


def register(app: typer.Typer) -> None:
    app.command("api-resources")(api_resources)
    app.command("api-versions")(api_versions)
    app.command("explain")(explain)
    app.command("version")(version)
    app.command("cluster-info")(cluster_info)
    app.command("wait")(wait)
    app.command("completion")(completion)
    app.add_typer(config_app, name="config")
