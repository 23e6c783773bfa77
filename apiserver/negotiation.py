"""Content negotiation: what form the client asked the answer in.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` so the server prints
rows; the garbage collector and ``kubectl delete`` ask for metadata only
(``as=PartialObjectMetadata``); everything else wants the objects. Protobuf is offered
by Go clients with JSON as fallback; asked for alone, it is a 406.
"""

from __future__ import annotations

from dataclasses import dataclass

from apimachinery.errors import NotAcceptable

__all__ = ["Output", "negotiate"]

_JSON = ("application/json", "application/*", "*/*", "application/yaml", "")


@dataclass(frozen=True, slots=True)
class Output:
    form: str  # "object" | "table" | "metadata"
    yaml: bool = False
    include_object: str = "Metadata"  # a table row's object: None, Metadata or Object


OBJECT = Output("object")


def negotiate(accept: str | None) -> Output:
    if not accept:
        return OBJECT
    refused = []
    for media_range in accept.split(","):
        mime, _, params_text = media_range.strip().partition(";")
        mime = mime.strip().lower()
        params = dict(
            (k.strip(), v.strip()) for k, _, v in
            (p.partition("=") for p in params_text.split(";") if p.strip())
        )
        if mime not in _JSON:
            refused.append(mime)
            continue
        kind = params.get("as")
        if kind is None:
            return Output("object", yaml=mime == "application/yaml")
        if params.get("g") != "meta.k8s.io" or params.get("v") not in ("v1", "v1beta1"):
            refused.append(media_range.strip())
            continue
        if kind == "Table":
            return Output("table")
        if kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return Output("metadata")
        refused.append(media_range.strip())
    raise NotAcceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        f"application/json;as=Table;v=v1;g=meta.k8s.io (asked: {', '.join(refused)})"
    )
