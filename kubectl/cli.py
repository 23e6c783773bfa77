"""What every command shares: the global flags, and running a command body.

kubectl's global flags (``-n``, ``--context``, ``-v`` ...) may appear anywhere on the
line; :mod:`kubectl.main` moves them in front of the verb and the root callback stores
them in :data:`GLOBALS`. A command then calls :func:`run` with its async body, which
gets a :class:`kubectl.session.Session` (the client, the namespace, the resource
mapper) and whose failures are printed in kubectl's words with kubectl's exit codes.

Kept free of heavy imports: ``skiffctl --help`` and shell completion load only this
and typer; the client and the models load when a command actually runs.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubectl.errors import CommandError, Exit, format_error

if TYPE_CHECKING:
    pass

__all__ = ["GLOBALS", "CommandError", "Exit", "Globals", "fail", "run", "run_local"]


@dataclass
class Globals:
    namespace: str | None = None
    all_namespaces: bool = False
    context: str | None = None
    kubeconfig: str | None = None
    server: str | None = None
    token: str | None = None
    verbosity: int = 0


GLOBALS = Globals()


def fail(message: str, code: int = 1) -> CommandError:
    """The error to raise for a wrong request (``raise fail("...")``)."""
    return CommandError(message, code)


def run(body: Callable[..., Awaitable[int | None]], *args: Any, **kwargs: Any) -> None:
    """Run ``body(session, *args, **kwargs)`` and exit the way kubectl exits."""
    import asyncio

    from kubectl.session import Session

    async def main() -> int | None:
        async with Session(GLOBALS) as session:
            return await body(session, *args, **kwargs)

    _finish(lambda: asyncio.run(main()))


def run_local(body: Callable[[], int | None]) -> None:
    """Run a command that needs no server (``config view``) with the same error handling."""
    _finish(body)


def _finish(call: Callable[[], int | None]) -> None:
    try:
        code = call()
    except KeyboardInterrupt:
        code = 130
    except Exit as done:
        code = done.code
    except Exception as err:  # every failure becomes kubectl's one-line message
        if not _printable(err):
            raise
        sys.stdout.flush()
        print(format_error(err), file=sys.stderr)
        code = getattr(err, "code", 1) if isinstance(err, CommandError) else 1
    sys.stdout.flush()
    raise SystemExit(code or 0)


def _printable(err: Exception) -> bool:
    """Errors with a kubectl wording; anything else is a bug and keeps its traceback."""
    from apimachinery.errors import StatusError
    from client.exceptions import ApiConnectionError
    from client.kubeconfig import ConfigError
    from kubectl.errors import ContextualError

    return isinstance(err, CommandError | StatusError | ApiConnectionError | ConfigError
                      | ContextualError | OSError)
