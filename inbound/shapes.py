"""What a trigger's declared JSON shape says: which dotted paths it declares, and a sample of it.

Only local `$ref`s ("#/$defs/…") are followed; nothing is ever fetched. Where the shape says
nothing (an object with no `properties`, a `$ref` elsewhere), any path below is accepted.
"""

import re
from typing import Any

_MAX_DEPTH = 32
# Bounds on what a sample may hold, whatever the shape asks: a page must render it.
_MAX_SAMPLE_NODES = 500
_MAX_SAMPLE_LENGTH = 200
_MAX_SAMPLE_ITEMS = 3
_OPEN = object()  # the shape declares nothing here, so every path below is possible


def _resolve(node: Any, root: dict, depth: int = 0) -> Any:
    """Follow a local $ref (a JSON pointer into the root); other refs leave the node open."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < _MAX_DEPTH:
        ref = node["$ref"]
        if not ref.startswith("#"):
            return True
        target: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            else:
                return True
        node, depth = target, depth + 1
    return node


def _branches(node: Any, root: dict) -> list[Any]:
    """Return the node and the subschemas it combines with (allOf, anyOf, oneOf), resolved.

    Each subschema is visited once, so a shape whose combinations refer to each other (or to
    the root) cannot make this walk explode.
    """
    found: list[Any] = []
    seen: set[int] = set()
    pending = [node]
    while pending and len(found) < _MAX_SAMPLE_NODES:
        current = _resolve(pending.pop(), root)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        if isinstance(current, dict):
            for keyword in ("allOf", "anyOf", "oneOf"):
                pending.extend(current.get(keyword) or [])
    return found


def _types(node: dict) -> set[str] | None:
    kind = node.get("type")
    if kind is None:
        return None
    return {kind} if isinstance(kind, str) else set(kind)


def _children(node: Any, segment: str) -> list[Any] | object:
    """Return the schemas the segment leads to in `node`, or _OPEN if it declares nothing."""
    if node is True or node == {}:
        return _OPEN
    if not isinstance(node, dict):
        return []
    types = _types(node)
    found: list[Any] = []
    if types is None or "object" in types:
        found = _property_children(node, segment, types)
        if found is _OPEN:
            return _OPEN
    if (types is None or "array" in types) and segment.isdigit():
        return _item_children(node, int(segment), types, found)
    return found


def _property_children(node: dict, segment: str, types: set[str] | None) -> list[Any] | object:
    properties = node.get("properties") or {}
    patterns = node.get("patternProperties") or {}
    additional = node.get("additionalProperties")
    found: list[Any] = []
    if segment in properties:
        found.append(properties[segment])
    found.extend(
        schema for pattern, schema in patterns.items() if _pattern_matches(pattern, segment)
    )
    if not found and isinstance(additional, dict):
        found.append(additional)
    # An object whose properties are not described at all: the shape says nothing here.
    undescribed = not properties and not patterns and additional is not False
    array_like = types is None and any(k in node for k in ("items", "prefixItems"))
    if not found and undescribed and not array_like:
        return _OPEN
    return found


def _item_children(
    node: dict, index: int, types: set[str] | None, found: list[Any]
) -> list[Any] | object:
    prefix = node.get("prefixItems") or []
    if index < len(prefix):
        found.append(prefix[index])
    elif "items" in node and node["items"] is not False:
        found.append(node["items"])
    elif types is not None and "items" not in node and not prefix:
        return _OPEN
    return found


def _pattern_matches(pattern: str, segment: str) -> bool:
    try:
        return re.search(pattern, segment) is not None
    except re.error:
        return False


def path_declared(*, schema: Any, path: str) -> bool:
    """Say whether a dotted path leads somewhere the shape declares (or leaves open)."""
    if not isinstance(schema, dict):
        return True
    current: list[Any] = [schema]
    for segment in path.split("."):
        following: list[Any] = []
        for node in current:
            for branch in _branches(node, schema):
                children = _children(branch, segment)
                if children is _OPEN:
                    return True
                following.extend(children)
        if not following:
            return False
        current = following
    return True


_STRING_FORMATS = {
    "email": "person@example.com",
    "date-time": "2026-01-01T12:00:00Z",
    "date": "2026-01-01",
    "time": "12:00:00Z",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


def sample_payload(*, schema: Any) -> Any:
    """Return a JSON value of the shape: every declared property, example values."""
    if not isinstance(schema, dict):
        return {}
    return _Sampler(schema).sample(schema, refs=())


class _Sampler:
    """Builds one sample; a $ref already being sampled above is cut short, not followed."""

    def __init__(self, root: dict) -> None:
        self.root = root
        self.nodes = 0

    def sample(self, node: Any, *, refs: tuple[str, ...]) -> Any:
        self.nodes += 1
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str):
            if ref in refs:
                return None
            refs = (*refs, ref)
        node = _resolve(node, self.root)
        if not isinstance(node, dict) or len(refs) > _MAX_DEPTH or self.nodes > _MAX_SAMPLE_NODES:
            return "example"
        given = _given_value(node)
        if given is not _NOTHING_GIVEN:
            return given
        if node.get("allOf"):
            return self.sample(self._all_of_merged(node), refs=refs)
        for keyword in ("oneOf", "anyOf"):
            if node.get(keyword):
                return self.sample(node[keyword][0], refs=refs)
        return self._typed(node, refs)

    def _all_of_merged(self, node: dict) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for sub in node["allOf"]:
            sub = _resolve(sub, self.root)
            if isinstance(sub, dict):
                merged.setdefault("properties", {}).update(sub.get("properties") or {})
                merged["required"] = [*merged.get("required", []), *sub.get("required", [])]
                merged.setdefault("type", sub.get("type"))
        return merged

    def _typed(self, node: dict, refs: tuple[str, ...]) -> Any:
        types = _types(node) or set()
        if not any(t in types for t in _SAMPLE_TYPE_ORDER) and "null" in types:
            return None
        kind = _sample_kind(node, types)
        if kind == "object":
            value = {
                name: self.sample(sub, refs=refs)
                for name, sub in (node.get("properties") or {}).items()
            }
            for name in node.get("required") or []:
                value.setdefault(name, "example")
            return value
        if kind == "array":
            return self._array(node, refs)
        if kind == "string":
            text = _STRING_FORMATS.get(node.get("format", ""), "example")
            text = text.ljust(min(node.get("minLength", 0), _MAX_SAMPLE_LENGTH), "x")
            return text[: node["maxLength"]] if node.get("maxLength") is not None else text
        if kind in ("integer", "number"):
            return _number_sample(node, kind)
        return True

    def _array(self, node: dict, refs: tuple[str, ...]) -> list[Any]:
        items = [self.sample(sub, refs=refs) for sub in node.get("prefixItems") or []]
        wanted = min(max(node.get("minItems", 1), len(items)), _MAX_SAMPLE_ITEMS)
        if node.get("maxItems") is not None:
            wanted = min(wanted, node["maxItems"])
        item_schema = node.get("items")
        while len(items) < wanted and isinstance(item_schema, dict):
            items.append(self.sample(item_schema, refs=refs))
        return items[:wanted]


_NOTHING_GIVEN = object()
_SAMPLE_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean")


def _given_value(node: dict) -> Any:
    """Return the value the schema gives itself (const, default, enum, examples), if any."""
    for keyword in ("const", "default"):
        if keyword in node:
            return node[keyword]
    if node.get("enum"):
        return node["enum"][0]
    if isinstance(node.get("examples"), list) and node["examples"]:
        return node["examples"][0]
    return _NOTHING_GIVEN


def _sample_kind(node: dict, types: set[str]) -> str:
    kind = next((t for t in _SAMPLE_TYPE_ORDER if t in types), None)
    if kind is not None:
        return kind
    if "properties" in node or "required" in node:
        return "object"
    if "items" in node or "prefixItems" in node:
        return "array"
    return "string"


def _number_sample(node: dict, kind: str) -> int | float:
    if "minimum" in node:
        low = node["minimum"]
    elif "exclusiveMinimum" in node:
        low = node["exclusiveMinimum"] + 1
    else:
        low = 1
    high = node.get("maximum")
    value = low if high is None else min(low, high)
    return int(value) if kind == "integer" else value


def value_set(payload: Any, path: str, value: Any) -> Any:
    """Put `value` at a dotted path of the payload (making the objects on the way)."""
    segments = path.split(".")
    if not isinstance(payload, dict | list):
        payload = {}
    current = payload
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if isinstance(current, list) and segment.isdigit():
            current = _list_step(current, int(segment), value, last=last)
            continue
        if not isinstance(current, dict):
            break
        if last:
            current[segment] = value
        else:
            if not isinstance(current.get(segment), dict | list):
                current[segment] = [] if segments[index + 1].isdigit() else {}
            current = current[segment]
    return payload


def _list_step(current: list, position: int, value: Any, *, last: bool) -> Any:
    """Step into (or, last, set) a list's item, growing the list to reach it."""
    while len(current) <= position:
        current.append({})
    if last:
        current[position] = value
        return current
    if not isinstance(current[position], dict | list):
        current[position] = {}
    return current[position]
