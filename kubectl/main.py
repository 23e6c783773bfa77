"""The ``skiffctl`` entry point: kubectl's command line on top of typer.

kubectl users type global flags anywhere (``skiffctl get pods -n kube-system``),
``-o=yaml`` as well as ``-o yaml``, and booleans as ``--wait=false``. Click wants
global options before the verb and flags without values, so :func:`main` rewrites the
argument list first: global flags move to the front (up to a ``--``), ``-x=v`` becomes
``-x v``, and ``--flag=true|false`` becomes the flag, its negation or nothing.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from kubectl import cli

__all__ = ["app", "main"]

# Global flags: (names, takes a value).
_GLOBAL_VALUE_FLAGS = {"-n": "--namespace", "--namespace": "--namespace",
                       "--context": "--context", "--kubeconfig": "--kubeconfig",
                       "-s": "--server", "--server": "--server", "--token": "--token",
                       "-v": "-v", "--v": "-v"}
_GLOBAL_BOOL_FLAGS = {"-A": "-A", "--all-namespaces": "-A"}

app = typer.Typer(
    name="skiffctl",
    help="skiffctl controls a skiff cluster, the way kubectl controls Kubernetes.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _globals(
    namespace: Annotated[str | None, typer.Option(
        "--namespace", "-n", help="The namespace scope for this request.")] = None,
    all_namespaces: Annotated[bool, typer.Option(
        "--all-namespaces", "-A",
        help="List the requested object(s) across all namespaces.")] = False,
    context: Annotated[str | None, typer.Option(
        "--context", help="The name of the kubeconfig context to use.")] = None,
    kubeconfig: Annotated[str | None, typer.Option(
        "--kubeconfig", help="Path to the kubeconfig file to use for CLI requests.")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", "-s", help="The address and port of the Kubernetes API server.")] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="Bearer token for authentication to the API server.")] = None,
    verbosity: Annotated[int, typer.Option(
        "-v", "--v", help="Log level: 6 logs every request, like kubectl -v=6.")] = 0,
) -> None:
    cli.GLOBALS.namespace = namespace
    cli.GLOBALS.all_namespaces = all_namespaces
    cli.GLOBALS.context = context
    cli.GLOBALS.kubeconfig = kubeconfig
    cli.GLOBALS.server = server
    cli.GLOBALS.token = token
    cli.GLOBALS.verbosity = verbosity


def _register() -> None:
    from kubectl.commands import register_all

    register_all(app)


_register()


def hoist_globals(args: list[str]) -> list[str]:
    """Move global flags (anywhere before ``--``) in front of the verb.

    ``config set-context --namespace`` is that command's own flag, not the global one.
    """
    own_namespace = "set-context" in args[:args.index("--")] if "--" in args else \
        "set-context" in args
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name, eq, value = arg.partition("=")
        if own_namespace and name in ("-n", "--namespace"):
            rest.append(arg)
        elif name in _GLOBAL_VALUE_FLAGS:
            flag = _GLOBAL_VALUE_FLAGS[name]
            if eq:
                front += [flag, value]
            elif i + 1 < len(args):
                front += [flag, args[i + 1]]
                i += 1
            else:
                front.append(flag)
        elif arg.startswith(("-n", "-v", "-s")) and len(arg) > 2 and arg[1] in "nvs" \
                and not arg.startswith("--"):
            front += [_GLOBAL_VALUE_FLAGS[arg[:2]], arg[2:]]
        elif name in _GLOBAL_BOOL_FLAGS:
            if not eq or value.lower() == "true":
                front.append(_GLOBAL_BOOL_FLAGS[name])
        else:
            rest.append(arg)
        i += 1
    return front + rest


def normalize_flags(command: Any, args: list[str]) -> list[str]:
    """``-o=yaml`` -> ``-o yaml``; ``--wait=false`` -> ``--no-wait`` (or dropped)."""
    flags = _bool_flags(command, args)
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "--dry-run" and (i + 1 >= len(args)
                                   or args[i + 1] not in ("none", "client", "server")):
            out.append("--dry-run=client")  # kubectl's bare --dry-run
            continue
        if len(arg) > 3 and arg[0] == "-" and arg[1] != "-" and arg[2] == "=":
            out += [arg[:2], arg[3:]]
            continue
        name, eq, value = arg.partition("=")
        if eq and name in flags and value.lower() in ("true", "false"):
            on, off = flags[name]
            if value.lower() == "true":
                out.append(on)
            elif off:
                out.append(off)
            continue
        out.append(arg)
    return out


def _bool_flags(command: Any, args: list[str]) -> dict[str, tuple[str, str | None]]:
    """Boolean flags of the (sub)command ``args`` invoke: name -> (on, off)."""
    found: dict[str, tuple[str, str | None]] = {}
    current = command
    commands = [current]
    for arg in args:
        if arg == "--":
            break
        if isinstance(getattr(current, "commands", None), dict) and not arg.startswith("-"):
            sub = current.commands.get(arg)
            if sub is not None:  # anything else is an option's value or an argument
                current = sub
                commands.append(current)
    for cmd in commands:
        for param in getattr(cmd, "params", ()):
            if not getattr(param, "is_flag", False):
                continue
            on = next((o for o in param.opts if o.startswith("--")), None)
            off = next((o for o in param.secondary_opts if o.startswith("--")), None)
            for name in param.opts:
                if name.startswith("--"):
                    found[name] = (on or name, off)
    return found


def usage_error(err: Exception) -> int:
    """Click's usage errors in cobra's words (``Error: unknown flag: --foo``)."""
    if type(err).__name__ == "NoArgsIsHelpError":  # a bare group: its help, like kubectl
        print(getattr(err, "format_message", lambda: str(err))())
        return 0
    message = str(getattr(err, "format_message", lambda: str(err))())
    if message.startswith("No such option: "):
        flag = message.split(": ", 1)[1].split(" ", 1)[0]
        message = (f"unknown flag: {flag}" if flag.startswith("--")
                   else f"unknown shorthand flag: '{flag[1:2]}' in {flag}")
    elif message.startswith("Option '") and message.endswith("requires an argument."):
        message = f"flag needs an argument: {message.split(chr(39))[1]}"
    ctx = getattr(err, "ctx", None)
    path = ctx.command_path if ctx is not None else "skiffctl"
    print(f"Error: {message}\nSee '{path} --help' for usage.", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    args = hoist_globals(args)
    command = typer.main.get_command(app)
    args = normalize_flags(command, args)
    try:
        code = command.main(args, prog_name="skiffctl", standalone_mode=False)
    except typer.TyperException as err:
        raise SystemExit(usage_error(err)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
