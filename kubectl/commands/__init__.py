"""The command line surface: typer declarations only, one module per family of verbs.

Each function here turns flags into an options value and hands it to the module that
does the work (:mod:`kubectl.get`, :mod:`kubectl.apply` ...), imported inside the
function so that ``skiffctl --help`` and shell completion stay fast.
"""

from __future__ import annotations

import typer

__all__ = ["register_all"]


def register_all(app: typer.Typer) -> None:
    from kubectl.commands import basic, info, nodes, objects, pods, workloads

    for module in (basic, objects, workloads, pods, nodes, info):
        module.register(app)
