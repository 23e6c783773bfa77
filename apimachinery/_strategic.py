"""Strategic merge patch: applying one, and computing the two- and three-way diffs.

A port of ``k8s.io/apimachinery/pkg/util/strategicpatch``: ``kubectl apply``, ``kubectl
patch`` and every client that sends ``application/strategic-merge-patch+json`` expect
the live object to come out exactly as it would on Kubernetes, including where merged
list items land. Function names follow the Go ones so the two can be read side by
side. Where the schema says nothing (a field the model does not declare, a
``dict[str, Any]``), maps still merge key by key and lists are replaced, like JSON
merge patch, instead of failing as Go does without struct tags.

Differences, all about patches Kubernetes would reject or leave to its typed decoder:
``$patch: merge`` is accepted as the no-op it names (Go rejects it); directive keys and
nulls are stripped from content that is copied in whole (Go leaves them for the typed
decoder to drop); items a sort cannot place keep their relative order at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from apimachinery import _jsonvalue as jv
from apimachinery._schema_walk import Node, PatchMeta, child, list_item
from apimachinery.errors import BadRequest, Invalid

__all__ = ["APPLY", "COMBINE", "DiffOptions", "MergeOptions", "diff_maps", "merge_map"]

DIRECTIVE = "$patch"
DELETE, REPLACE, MERGE = "delete", "replace", "merge"
RETAIN_KEYS_STRATEGY = "retainKeys"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"
_PARALLEL_PREFIXES = (DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)

JSONMap = dict[str, Any]


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class MergeOptions:
    # Server side: apply parallel lists ($deleteFromPrimitiveList, $setElementOrder)
    # and drop nulls aimed at absent keys. Client side (building a three-way patch):
    # keep both in the patch being assembled.
    merge_parallel_list: bool
    ignore_unmatched_nulls: bool


APPLY = MergeOptions(merge_parallel_list=True, ignore_unmatched_nulls=True)
COMBINE = MergeOptions(merge_parallel_list=False, ignore_unmatched_nulls=False)


def _strategy(meta: PatchMeta) -> tuple[bool, str]:
    """(retainKeys?, the other strategy) from e.g. ``merge,retainKeys``."""
    strategies = meta.strategies
    if not strategies:
        return False, ""
    if len(strategies) == 1:
        if strategies[0] == RETAIN_KEYS_STRATEGY:
            return True, ""
        return False, strategies[0]
    if len(strategies) == 2 and RETAIN_KEYS_STRATEGY in strategies:
        other = strategies[1] if strategies[0] == RETAIN_KEYS_STRATEGY else strategies[0]
        return True, other
    raise BadRequest(f"unexpected patch strategy: {list(strategies)}")


# --- applying a patch ---------------------------------------------------------------


def merge_map(original: JSONMap, patch: JSONMap, node: Node, opts: MergeOptions) -> JSONMap:
    """Merge ``patch`` into ``original`` (both are modified; pass copies)."""
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == REPLACE:
            del patch[DIRECTIVE]
            return _whole(patch, opts)
        if directive == DELETE:
            return {}
        if directive != MERGE:
            raise BadRequest(f"unknown patch type: {directive} in map: {_show(patch)}")
        del patch[DIRECTIVE]
    _apply_retain_keys(original, patch, opts)
    _merge_ordered_lists(original, patch, node, opts)
    for key, patch_value in list(patch.items()):
        _merge_key_into(original, key, patch_value, node, opts)
    return original


def _merge_key_into(original: JSONMap, key: str, patch_value: Any, node: Node,
                    opts: MergeOptions) -> None:
    is_delete_list = False
    if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
        if not opts.merge_parallel_list:
            original[key] = patch_value
            return
        key = _extract_key(key, DELETE_FROM_PRIMITIVE_LIST)
        is_delete_list = True
    if patch_value is None:
        original.pop(key, None)
        if opts.ignore_unmatched_nulls:
            return
    if key not in original or jv.kind(original[key]) != jv.kind(patch_value):
        if not is_delete_list:
            _put_fresh(original, key, patch_value, opts)
        return
    current = original[key]
    if isinstance(current, dict):
        sub, meta = child(node, key)
        _, strategy = _strategy(meta)
        if strategy == REPLACE:
            original[key] = _whole(patch_value, opts)
        else:
            original[key] = merge_map(current, patch_value, sub, opts)
    elif isinstance(current, list):
        sub, meta = child(node, key)
        _, strategy = _strategy(meta)
        original[key] = _merge_slice_handler(current, patch_value, list_item(sub), strategy,
                                             meta.merge_key, is_delete_list, opts)
    else:
        _put_fresh(original, key, patch_value, opts)


def _put_fresh(original: JSONMap, key: str, value: Any, opts: MergeOptions) -> None:
    """Take a patch value as it is (the key is new, or its type changed)."""
    value, keep = _fresh(value, opts)
    if keep:
        original[key] = value
    else:
        original.pop(key, None)


def _fresh(value: Any, opts: MergeOptions) -> tuple[Any, bool]:
    if opts.ignore_unmatched_nulls:
        _discard_nulls(value)
    return _remove_directives(value, strip_parallel=opts.merge_parallel_list)


def _whole(value: Any, opts: MergeOptions) -> Any:
    """Content that replaces what was there, cleaned as a typed decode would clean it."""
    if not opts.merge_parallel_list:
        return value
    cleaned, keep = _fresh(value, opts)
    return cleaned if keep else type(value)()


def _discard_nulls(value: Any) -> None:
    if isinstance(value, dict):
        for k in [k for k, v in value.items() if v is None]:
            del value[k]
        for v in value.values():
            _discard_nulls(v)
    elif isinstance(value, list):
        for v in value:
            _discard_nulls(v)


def _remove_directives(value: Any, strip_parallel: bool) -> tuple[Any, bool]:
    """Drop maps carrying ``$patch`` (and, server side, the parallel-list keys)."""
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            if strip_parallel and (k == RETAIN_KEYS or k.startswith(_PARALLEL_PREFIXES)):
                continue
            v, keep = _remove_directives(v, strip_parallel)
            if keep:
                out[k] = v
        return out, True
    if isinstance(value, list):
        items = (_remove_directives(v, strip_parallel) for v in value)
        return [v for v, keep in items if keep], True
    return value, True


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        if prefix == DELETE_FROM_PRIMITIVE_LIST:
            raise BadRequest("invalid patch format of primitive list")
        raise BadRequest("invalid patch format of setElementOrder list")
    return rest


def _apply_retain_keys(original: JSONMap, patch: JSONMap, opts: MergeOptions) -> None:
    """``$retainKeys``: clear every field of ``original`` the list does not name."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not opts.merge_parallel_list:
        if RETAIN_KEYS in original and not jv.equal(original[RETAIN_KEYS], retain):
            raise BadRequest(f"{_show(original[RETAIN_KEYS])} and {_show(retain)} are not deep "
                        "equal: this may happen when calculating the 3-way diff patch")
        original.setdefault(RETAIN_KEYS, retain)
        return
    if not isinstance(retain, list):
        raise BadRequest("invalid patch format of retainKeys")
    allowed = {jv.scalar_key(k) for k in retain}
    for key, value in patch.items():
        if value is None or key.startswith(_PARALLEL_PREFIXES):
            continue
        if jv.scalar_key(key) not in allowed:
            raise BadRequest("invalid patch format of retainKeys")
    for key in [k for k in original if jv.scalar_key(k) not in allowed]:
        del original[key]


def _merge_ordered_lists(original: JSONMap, patch: JSONMap, node: Node,
                         opts: MergeOptions) -> None:
    """Merge each list that has a ``$setElementOrder`` and put it in that order.

    Precedence: the ``$setElementOrder`` list, then the order in the patch list, then
    the order of the live list (``mergePatchIntoOriginal``).
    """
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not opts.merge_parallel_list:
            if key in original and not jv.equal(original[key], order):
                raise BadRequest("invalid patch format of setElementOrder list")
            original.setdefault(key, order)
        if not isinstance(order, list):
            raise BadRequest(f"expected a list for {key}, but received a {jv.kind(order)}")
        field = _extract_key(key, SET_ELEMENT_ORDER)
        live = _list_or_none(original, field)
        patched = _list_or_none(patch, field)
        sub, meta = child(node, field)
        _, strategy = _strategy(meta)
        _validate_with_order_list(patched or [], order, meta.merge_key)
        if live is None and patched is None:
            continue
        merged: list[Any]
        server_order = live or []
        if patched is None:
            merged = server_order
        elif live is None:
            merged, _ = _fresh(patched, opts)
        else:
            merged = _merge_slice_handler(live, patched, list_item(sub), strategy,
                                          meta.merge_key, False, opts)
            if strategy == MERGE and meta.merge_key:
                server_order = _live_view_after_merge(live, patched, meta.merge_key)
        patch.pop(field, None)
        original[field] = _reorder(merged, order, server_order, patched or [],
                                   meta.merge_key)


def _live_view_after_merge(live: list[Any], patch: list[Any], merge_key: str) -> list[Any]:
    """The live list as Go sees it after merging the patch into it in place.

    Go deletes ``$patch: delete`` items by shifting the live slice's backing array
    and appends new items into its spare capacity, and ``mergePatchIntoOriginal``
    then orders by that same array. Where a deletion freed a slot, an appended item
    shows up in it, which decides where server-only items land. Capacity follows
    append's doubling, as for a freshly decoded JSON array.
    """
    slots = list(live) + [None] * (_go_capacity(len(live)) - len(live))
    length = len(live)
    keys = [item.get(merge_key) for item in live if isinstance(item, dict)]
    plain = []
    for item in patch:
        directive = item.get(DIRECTIVE) if isinstance(item, dict) else None
        if directive == DELETE:
            doomed = item.get(merge_key)
            while (at := _index_of_key(slots[:length], merge_key, doomed)) is not None:
                slots[at:length - 1] = slots[at + 1:length]
                length -= 1
                del keys[at]
        elif directive == REPLACE:
            return slots[:len(live)]
        elif isinstance(item, dict):
            plain.append(item)
    for item in plain:
        key_value = item.get(merge_key)
        if any(jv.equal(k, key_value) for k in keys):
            continue
        keys.append(key_value)
        if length < len(slots):
            slots[length] = item
            length += 1
        else:
            break  # append reallocated: later writes no longer touch this array
    return slots[:len(live)]


def _go_capacity(length: int) -> int:
    capacity = 1 if length else 0
    while capacity < length:
        capacity *= 2
    return capacity


def _index_of_key(items: list[Any], merge_key: str, key_value: Any) -> int | None:
    for i, item in enumerate(items):
        if isinstance(item, dict) and merge_key in item and jv.equal(item[merge_key], key_value):
            return i
    return None


def _list_or_none(doc: JSONMap, field: str) -> list[Any] | None:
    if field not in doc:
        return None
    value = doc[field]
    if not isinstance(value, list):
        raise BadRequest(f"expected a list for {field}, but received a {jv.kind(value)}")
    return value


def _reorder(merged: list[Any], order: list[Any], live: list[Any], patched: list[Any],
             merge_key: str) -> list[Any]:
    element_kind = _element_kind(live, patched, allow_empty=True)
    if element_kind is None:
        return merged
    if merge_key:
        patch_items, server_only = _partition_maps(merged, order, merge_key)
    else:
        patch_items, server_only = _partition_primitives(merged, order)
    return _normalize_element_order(patch_items, server_only, order, live, merge_key,
                                    element_kind)


def _validate_with_order_list(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """Every patch item must appear in ``order``, in the same relative order."""
    if not order or not patch_list:
        return
    items = _split_deletes(patch_list)[0] if merge_key else patch_list
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and DIRECTIVE in items[i]:
            i += 1
            continue
        if _merge_key_equal(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items) and j >= len(order):
        raise BadRequest(f"The order in patch list:\n{_show(patch_list)}\n doesn't match "
                    f"{SET_ELEMENT_ORDER} list:\n{_show(order)}\n")


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return jv.equal(left, right)
    for item in (left, right):
        _require_merge_key(item, merge_key)
    return jv.equal(left[merge_key], right[merge_key])


def _require_merge_key(item: Any, merge_key: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BadRequest(f"expected a map, but received a {jv.kind(item)}")
    if merge_key not in item:
        raise BadRequest(f"map: {_show(item)} does not contain declared merge key: {merge_key}")
    return item


def _merge_slice_handler(original: list[Any], patch: list[Any], item_node: Node,
                         strategy: str, merge_key: str, is_delete_list: bool,
                         opts: MergeOptions) -> list[Any]:
    if strategy == MERGE or is_delete_list:
        return _merge_slice(original, patch, item_node, merge_key, opts, is_delete_list)
    return _whole(patch, opts)


def _merge_slice(original: list[Any], patch: list[Any], item_node: Node, merge_key: str,
                 opts: MergeOptions, is_delete_list: bool) -> list[Any]:
    if not original and not patch:
        return original
    element_kind = _element_kind(original, patch)
    if element_kind != "map":
        if opts.merge_parallel_list and is_delete_list:
            return _delete_from_slice(original, patch)
        merged = jv.dedupe(original + patch)
    else:
        if not merge_key:
            raise BadRequest("cannot merge lists without merge key")
        original, patch = _merge_special_elements(original, patch, merge_key, opts)
        merged = _merge_plain_elements(original, patch, merge_key, item_node, opts)
    if merge_key:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    else:
        patch_items, server_only = _partition_primitives(merged, patch)
    return _normalize_element_order(patch_items, server_only, patch, original, merge_key,
                                    element_kind)


def _merge_special_elements(original: list[Any], patch: list[Any], merge_key: str,
                            opts: MergeOptions) -> tuple[list[Any], list[Any]]:
    """Apply ``$patch: delete`` items; ``$patch: replace`` makes the patch the list."""
    plain: list[Any] = []
    replace_all = False
    for item in patch:
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == DELETE:
            key_value = _require_merge_key(item, merge_key)[merge_key]
            original = [o for o in original
                        if not (isinstance(o, dict) and merge_key in o
                                and jv.equal(o[merge_key], key_value))]
        elif directive == REPLACE:
            replace_all = True
        elif directive == MERGE:
            plain.append({k: v for k, v in item.items() if k != DIRECTIVE})
        else:
            raise BadRequest(f"unknown patch type: {directive} in map: {_show(item)}")
    if replace_all:
        return _whole(plain, opts), []
    return original, plain


def _merge_plain_elements(original: list[Any], patch: list[Any], merge_key: str,
                          item_node: Node, opts: MergeOptions) -> list[Any]:
    """Merge each patch item into the live item with its key, or append it."""
    merged = list(original)
    for item in patch:
        key_value = _require_merge_key(item, merge_key)[merge_key]
        at = _find_by_key(merged, merge_key, key_value)
        if at is None:
            fresh, keep = _fresh(item, opts)
            if keep:
                merged.append(fresh)
        else:
            merged[at] = merge_map(merged[at], item, item_node, opts)
    return merged


def _find_by_key(items: list[Any], merge_key: str, key_value: Any) -> int | None:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"value for key {i} is not a map")
        if merge_key in item and jv.equal(item[merge_key], key_value):
            return i
    return None


def _delete_from_slice(current: list[Any], to_delete: list[Any]) -> list[Any]:
    doomed = {jv.scalar_key(v) for v in to_delete}
    return [v for v in current if jv.scalar_key(v) not in doomed]


def _element_kind(*lists: list[Any], allow_empty: bool = False) -> str | None:
    """The one JSON type of every element; errors on mixed types and lists of lists."""
    found: str | None = None
    for items in lists:
        for item in items:
            item_kind = jv.kind(item)
            if found is None:
                if item_kind == "list":
                    raise Invalid("lists of lists are not supported")
                found = item_kind
            elif item_kind != found:
                raise BadRequest(f"list element types are not identical: {_show(list(lists))}")
    if found is None and not allow_empty:
        raise BadRequest("no elements in any of the given slices")
    return found


def _partition_primitives(merged: list[Any], by: list[Any]) -> tuple[list[Any], list[Any]]:
    present = {jv.scalar_key(v) for v in by}
    inside = [v for v in merged if jv.scalar_key(v) in present]
    outside = [v for v in merged if jv.scalar_key(v) not in present]
    return inside, outside


def _partition_maps(merged: list[Any], by: list[Any],
                    merge_key: str) -> tuple[list[Any], list[Any]]:
    inside: list[Any] = []
    outside: list[Any] = []
    for item in merged:
        key_value = _require_merge_key(item, merge_key)[merge_key]
        (outside if _find_by_key(by, merge_key, key_value) is None else inside).append(item)
    return inside, outside


def _position_of(order: list[Any], merge_key: str,
                 element_kind: str | None) -> Callable[[Any], int]:
    """``index()`` from the Go code, as a lookup table: the position of an item in
    ``order`` (by merge key for maps, by value otherwise), or -1."""

    def key_of(item: Any) -> Any:
        if element_kind == "map":
            return jv.scalar_key(item.get(merge_key) if isinstance(item, dict) else None)
        return jv.scalar_key(item)

    positions: dict[Any, int] = {}
    for i, item in enumerate(order):
        positions.setdefault(key_of(item), i)
    return lambda item: positions.get(key_of(item), -1)


def _split_deletes(items: list[Any]) -> tuple[list[Any], list[Any]]:
    keep: list[Any] = []
    deletes: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest(f"expected a map, but received a {jv.kind(item)}")
        (deletes if item.get(DIRECTIVE) == DELETE else keep).append(item)
    return keep, deletes


def _normalize_slice_order(items: list[Any], order: list[Any], merge_key: str,
                           element_kind: str | None) -> list[Any]:
    """Sort ``items`` by their position in ``order``; deletions go last."""
    deletes: list[Any] = []
    if element_kind == "map":
        for item in (*items, *order):
            _require_merge_key(item, merge_key)
        items, deletes = _split_deletes(items)
    position = _position_of(order, merge_key, element_kind)
    placed = sorted((p, i) for i, item in enumerate(items) if (p := position(item)) >= 0)
    unplaced = [item for item in items if position(item) < 0]
    return [items[i] for _, i in placed] + unplaced + deletes


def _normalize_element_order(patch_items: list[Any], server_only: list[Any],
                             patch_order: list[Any], server_order: list[Any],
                             merge_key: str, element_kind: str | None) -> list[Any]:
    patch_items = _normalize_slice_order(patch_items, patch_order, merge_key, element_kind)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, element_kind)
    return _merge_sorted(server_only, patch_items, server_order, merge_key, element_kind)


def _merge_sorted(left: list[Any], right: list[Any], server_order: list[Any],
                  merge_key: str, element_kind: str | None) -> list[Any]:
    """Interleave server-only items (left) with patch items (right).

    A server-only item goes first only when both it and the patch item are in the
    live list and it came first there; otherwise the patch item goes first.
    """
    position = _position_of(server_order, merge_key, element_kind)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li, ri = position(left[i]), position(right[j])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


# --- computing a patch ----------------------------------------------------------------


@dataclass(frozen=True)
class DiffOptions:
    set_element_order: bool = False
    ignore_changes_and_additions: bool = False
    ignore_deletions: bool = False
    build_retain_keys: bool = False


def diff_maps(original: JSONMap, modified: JSONMap, node: Node, opts: DiffOptions) -> JSONMap:
    """The strategic merge patch that turns ``original`` into ``modified``."""
    patch: JSONMap = {}
    retain: list[str] = []
    for key, new in modified.items():
        if opts.build_retain_keys and new is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes_and_additions:
                patch[key] = new
            continue
        old = original[key]
        if key == DIRECTIVE:
            if not isinstance(old, str) or not isinstance(new, str):
                raise BadRequest(f"invalid value for special key: {DIRECTIVE}")
            if old != new:
                patch[key] = new
            continue
        if jv.kind(old) != jv.kind(new):
            if not opts.ignore_changes_and_additions:
                patch[key] = new
            continue
        if isinstance(old, dict):
            _diff_map_field(key, old, new, patch, node, opts)
        elif isinstance(old, list):
            _diff_list_field(key, old, new, patch, node, opts)
        else:
            _replace_if_not_equal(key, old, new, patch, opts)
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or _has_additional_field(original, modified)):
        patch[RETAIN_KEYS] = _sort_scalars(retain)
    return patch


def _diff_map_field(key: str, old: JSONMap, new: JSONMap, patch: JSONMap, node: Node,
                    opts: DiffOptions) -> None:
    sub, meta = child(node, key)
    retain_keys, strategy = _strategy(meta)
    if strategy == REPLACE:
        if not opts.ignore_changes_and_additions:
            patch[key] = new
        return
    value = diff_maps(old, new, sub, replace(opts, build_retain_keys=retain_keys))
    if value:
        patch[key] = value


def _diff_list_field(key: str, old: list[Any], new: list[Any], patch: JSONMap, node: Node,
                     opts: DiffOptions) -> None:
    sub, meta = child(node, key)
    retain_keys, strategy = _strategy(meta)
    if strategy != MERGE:
        _replace_if_not_equal(key, old, new, patch, opts)
        return
    opts = replace(opts, build_retain_keys=retain_keys)
    additions, deletions, order = _diff_lists(old, new, list_item(sub), meta.merge_key, opts)
    if additions:
        patch[key] = additions
    if deletions:
        patch[f"{DELETE_FROM_PRIMITIVE_LIST}/{key}"] = deletions
    if order:
        patch[f"{SET_ELEMENT_ORDER}/{key}"] = order


def _replace_if_not_equal(key: str, old: Any, new: Any, patch: JSONMap,
                          opts: DiffOptions) -> None:
    if not opts.ignore_changes_and_additions and not jv.equal(old, new):
        patch[key] = new


def _has_additional_field(original: JSONMap, modified: JSONMap) -> bool:
    return any(v is not None and k not in modified for k, v in original.items())


def _sort_scalars(values: list[Any]) -> list[Any]:
    return sorted(values, key=jv.go_string)


def _diff_lists(original: list[Any], modified: list[Any], item_node: Node, merge_key: str,
                opts: DiffOptions) -> tuple[list[Any], list[Any], list[Any]]:
    """(patch items, values to delete, the ``$setElementOrder`` list) for a merge list."""
    if not original:
        if not modified or opts.ignore_changes_and_additions:
            return [], [], []
        return modified, [], []
    element_kind = _element_kind(original, modified)
    order: list[Any] = []
    if element_kind == "map":
        patch_list, deletions = _diff_lists_of_maps(original, modified, item_node, merge_key,
                                                     opts)
        patch_list = _normalize_slice_order(patch_list, modified, merge_key, element_kind)
        same_order = _is_order_same(original, modified, merge_key)
        patch_list += deletions
        changed = not opts.ignore_changes_and_additions and bool(patch_list or not same_order)
        deleted = not opts.ignore_deletions and bool(patch_list)
        if opts.set_element_order and (changed or deleted):
            order = [{merge_key: item.get(merge_key)} for item in modified]
        return patch_list, [], order
    patch_list, deletions = _diff_lists_of_scalars(original, modified, opts)
    patch_list = _normalize_slice_order(patch_list, modified, merge_key, element_kind)
    changed = not opts.ignore_changes_and_additions and not jv.equal(original, modified)
    deleted = not opts.ignore_deletions and bool(deletions)
    if opts.set_element_order and (deleted or changed):
        order = list(modified)
    return patch_list, deletions, order


def _is_order_same(original: list[Any], modified: list[Any], merge_key: str) -> bool:
    if len(original) != len(modified):
        return False
    return all(_merge_key_equal(o, m, merge_key) for o, m in zip(original, modified, strict=True))


_MISSING: Any = object()


def _walk_sorted(original: list[Any], modified: list[Any],
                 key: Callable[[Any], str]) -> Iterator[tuple[Any, Any]]:
    """Merge-join two lists sorted by ``key``: (old, new) pairs, ``_MISSING`` for a gap."""
    old_sorted = sorted(original, key=key)
    new_sorted = sorted(modified, key=key)
    i = j = 0
    while i < len(old_sorted) or j < len(new_sorted):
        if j >= len(new_sorted):
            yield old_sorted[i], _MISSING
            i += 1
            continue
        if i >= len(old_sorted):
            yield _MISSING, new_sorted[j]
            j += 1
            continue
        old_key, new_key = key(old_sorted[i]), key(new_sorted[j])
        if old_key == new_key:
            yield old_sorted[i], new_sorted[j]
            i += 1
            j += 1
        elif old_key > new_key:
            yield _MISSING, new_sorted[j]
            j += 1
        else:
            yield old_sorted[i], _MISSING
            i += 1


def _diff_lists_of_scalars(original: list[Any], modified: list[Any],
                           opts: DiffOptions) -> tuple[list[Any], list[Any]]:
    additions: list[Any] = []
    deletions: list[Any] = []
    for old, new in _walk_sorted(original, modified, jv.go_string):
        if old is _MISSING:
            if not opts.ignore_changes_and_additions:
                additions.append(new)
        elif new is _MISSING and not opts.ignore_deletions:
            deletions.append(old)
    return additions, jv.dedupe(deletions)


def _diff_lists_of_maps(original: list[Any], modified: list[Any], item_node: Node,
                        merge_key: str, opts: DiffOptions) -> tuple[list[Any], list[Any]]:
    for item in (*original, *modified):
        _require_merge_key(item, merge_key)
    patch: list[Any] = []
    deletions: list[Any] = []

    def by_key(item: JSONMap) -> str:
        return jv.go_string(item[merge_key])

    for old, new in _walk_sorted(original, modified, by_key):
        if old is not _MISSING and new is not _MISSING:
            value = diff_maps(old, new, item_node, opts)
            if value:
                value[merge_key] = new[merge_key]
                patch.append(value)
        elif old is _MISSING:
            if not opts.ignore_changes_and_additions:
                patch.append(new)
        elif not opts.ignore_deletions:
            deletions.append({merge_key: old[merge_key], DIRECTIVE: DELETE})
    return patch, deletions
