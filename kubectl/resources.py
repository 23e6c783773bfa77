"""What the resource arguments of a command name, the way kubectl's builder reads them.

``get pods``, ``get pods a b``, ``get deploy,svc``, ``get pod/a svc/b``, ``get all``
and ``-f web.yaml`` all become a list of :class:`Target` (a resource type and the
names asked for, none meaning "the whole collection") or of :class:`ObjectRef` once
names are known. Objects are then fetched, listed or acted on one by one, and errors
on one do not stop the others, as in kubectl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apimachinery.schema import ResourceType
from kubectl.errors import CommandError
from kubectl.printing import kind_prefix

if TYPE_CHECKING:
    from kubectl.session import Session

__all__ = ["NO_RESOURCES", "ObjectRef", "Target", "parse_targets", "select_objects", "single_object"]

MIXED_FORMS = ("there is no need to specify a resource type as a separate argument when "
               "passing arguments in resource/name form (e.g. 'kubectl get resource/"
               "<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")


NO_RESOURCES = ("You must provide one or more resources by argument or filename.\n"
                "Example resource specifications include:\n   '-f rsrc.yaml'\n"
                "   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")


@dataclass
class Target:
    rtype: ResourceType
    names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ObjectRef:
    rtype: ResourceType
    namespace: str | None
    name: str

    @property
    def qualified(self) -> str:
        return f"{kind_prefix(self.rtype)}/{self.name}"

    @property
    def described(self) -> str:
        """``deployments.apps "web"``: how Kubernetes names an object in messages."""
        return f'{self.rtype.qualified} "{self.name}"'


async def parse_targets(session: Session, args: list[str]) -> list[Target]:
    """Resource arguments to targets, in the order given (``all`` expands)."""
    if not args:
        return []
    if any("/" in arg for arg in args):
        if not all("/" in arg for arg in args):
            raise CommandError(MIXED_FORMS)
        targets: list[Target] = []
        for arg in args:
            kind, _, name = arg.partition("/")
            if not name:
                raise CommandError(f"arguments in resource/name form must have a single "
                                   f"resource and name: {arg}")
            rtype = await session.resolve(kind)
            _add(targets, rtype, [name])
        return targets
    types, names = args[0], args[1:]
    targets = []
    for kind in types.split(","):
        if not kind:
            continue
        if kind == "all":
            for rtype in await session.category("all"):
                _add(targets, rtype, list(names))
            continue
        _add(targets, await session.resolve(kind), list(names))
    return targets


def _add(targets: list[Target], rtype: ResourceType, names: list[str]) -> None:
    for target in targets:
        if target.rtype == rtype and (target.names or not names):
            for name in names:
                if name not in target.names:
                    target.names.append(name)
            return
    targets.append(Target(rtype, names))


async def single_object(session: Session, args: list[str], what: str = "resource"
                        ) -> ObjectRef:
    """``TYPE NAME`` or ``TYPE/NAME`` naming exactly one object."""
    targets = await parse_targets(session, args)
    refs = [ObjectRef(t.rtype, session.namespace, n) for t in targets for n in t.names]
    if len(refs) != 1:
        if not refs:
            raise CommandError(f"you must specify a {what} by TYPE NAME or TYPE/NAME")
        raise CommandError(f"only one {what} may be given")
    return refs[0]


async def select_objects(session: Session, args: list[str], *, selector: str | None = None,
                         select_all: bool = False, field_selector: str | None = None,
                         all_namespaces: bool = False) -> list[tuple[ObjectRef, dict[str, Any] | None]]:
    """Named objects (not fetched: ``None``), or every object a selector or ``--all``
    matches (fetched), for verbs that act on each: label, delete, scale, ..."""
    targets = await parse_targets(session, args)
    if not targets:
        raise CommandError(NO_RESOURCES)
    found: list[tuple[ObjectRef, dict[str, Any] | None]] = []
    for target in targets:
        if target.names:
            if selector:
                raise CommandError("name cannot be provided when a selector is specified")
            found.extend((ObjectRef(target.rtype, session.namespace, n), None)
                         for n in target.names)
            continue
        if not selector and not select_all and not field_selector:
            raise CommandError("resource(s) were provided, but no name was specified")
        namespace = None if all_namespaces else session.namespace
        listed = await session.resource(target.rtype, namespace).list_all(
            label_selector=selector or None, field_selector=field_selector or None)
        for obj in listed.items:
            meta = obj.get("metadata") or {}
            found.append((ObjectRef(target.rtype, meta.get("namespace"), meta.get("name", "")),
                          obj))
    return found
