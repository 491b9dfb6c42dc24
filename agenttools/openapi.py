"""Read an OpenAPI 3 document and turn its operations into tool definitions.

Only references inside the document (`#/...`) are followed; nothing is fetched. Schemas that
other schemas reference are carried into the tool's input schema under `$defs`, so recursive
schemas stay valid and the tool's schema stands on its own.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from omniflow.json_input import JSONInputError, json_loads

from .http_mapping import METHODS_WITH_BODY

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ARGUMENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_DESCRIPTION = 1024
# Bounds of an imported document, so none can hold a web worker for long: size, nesting,
# values, operations (and, per import, time: tools_import_openapi's deadline).
MAX_DOCUMENT_BYTES = 1_000_000
MAX_DOCUMENT_DEPTH = 64
MAX_DOCUMENT_NODES = 200_000
MAX_DOCUMENT_OPERATIONS = 1000
MAX_INTEGER_DIGITS = 64
# Schema nodes copied per tool: YAML aliases can make a small text an enormous tree.
MAX_SCHEMA_NODES = 20_000
MAX_SCHEMA_DEPTH = 64


class OpenAPIInvalid(ValueError):
    """The document is not an OpenAPI 3 document this import can read."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def label(self) -> str:
        return f"{self.key}" + (f" — {self.summary}" if self.summary else "")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML's safe loader (libyaml's parser when there), with timestamps kept as text."""


# A date is not JSON: `2024-01-01` stays the text it is.
_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _nodes_checked(root: yaml.Node | None) -> None:
    """Refuse aliases and deep nesting in the composed YAML, before anything is built.

    An alias makes one node reachable twice: a few hundred bytes of nested aliases expand to
    gigabytes once constructed (the "billion laughs"), so any is refused.
    """
    seen: set[int] = set()
    stack = [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1
            raise OpenAPIInvalid(f"YAML aliases (*name) are not accepted (line {line}).")
        seen.add(id(node))
        if depth > MAX_DOCUMENT_DEPTH:
            raise OpenAPIInvalid(f"The document nests deeper than {MAX_DOCUMENT_DEPTH} levels.")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in node.value for part in pair)


def _yaml_load(text: str) -> Any:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        _nodes_checked(root)
        return loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        raise OpenAPIInvalid(f"This is not valid YAML: {error}") from error
    except OpenAPIInvalid:
        raise
    except (ValueError, RecursionError) as error:
        # ValueError: an integer of more digits than Python converts (4,300).
        raise OpenAPIInvalid(f"The YAML holds a value that cannot be read: {error}") from error
    finally:
        loader.dispose()


def _json_problem(value: Any) -> str:
    """Return why the value is not plain, storable JSON ('' when it is)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "holds a lone surrogate character"
        return "holds a null character" if "\x00" in value else ""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return (
            f"is a number of more than {MAX_INTEGER_DIGITS} digits"
            if (len(str(abs(value))) > MAX_INTEGER_DIGITS)
            else ""
        )
    if isinstance(value, float):
        return "" if math.isfinite(value) else "is NaN or infinite, which JSON cannot hold"
    if isinstance(value, dict | list):
        return ""
    return f"is a YAML {type(value).__name__}, not a JSON value"


def document_checked(document: Any) -> Any:
    """Return the parsed document if every value in it is JSON within the bounds; else raise."""
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    nodes = 0
    while stack:  # iterative: nothing here recurses however deep the document is
        path, value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_DOCUMENT_NODES:
            raise OpenAPIInvalid(f"The document has more than {MAX_DOCUMENT_NODES} values.")
        if depth > MAX_DOCUMENT_DEPTH:
            raise OpenAPIInvalid(f"The document nests deeper than {MAX_DOCUMENT_DEPTH} levels.")
        problem = _json_problem(value)
        if problem:
            raise OpenAPIInvalid(f"The value at {path or '/'} {problem}.")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or _json_problem(key):
                    raise OpenAPIInvalid(f"A key at {path or '/'} is not a plain text key.")
                stack.append((f"{path}/{key}", item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}/{i}", item, depth + 1) for i, item in enumerate(value))
    return document


def document_parse(text: str) -> dict[str, Any]:
    """Return the document a pasted or uploaded JSON or YAML text holds, within the bounds."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise OpenAPIInvalid(f"The document is larger than {MAX_DOCUMENT_BYTES} bytes.")
    if text.lstrip()[:1] in ("{", "["):
        try:
            document = json_loads(text)
        except JSONInputError as error:
            raise OpenAPIInvalid(f"This is not valid JSON: {error}") from error
    else:
        document = _yaml_load(text)
    return document_parse_object(document)


def document_parse_object(document: Any) -> dict[str, Any]:
    """Return the document if it is an OpenAPI 3 document with paths, within the bounds."""
    if not isinstance(document, dict):
        raise OpenAPIInvalid("The document must be a JSON or YAML object.")
    document_checked(document)
    if not str(document.get("openapi", "")).startswith("3."):
        raise OpenAPIInvalid('Only OpenAPI 3 documents are read ("openapi": "3.x").')
    if not isinstance(document.get("paths"), dict):
        raise OpenAPIInvalid("The document has no paths.")
    count = len(operations(document))
    if count > MAX_DOCUMENT_OPERATIONS:
        raise OpenAPIInvalid(
            f"The document has {count} operations; at most {MAX_DOCUMENT_OPERATIONS} are read."
        )
    return document


def operations(document: dict[str, Any]) -> list[Operation]:
    """Return the document's operations, in the document's order."""
    found = []
    for path, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                found.append(
                    Operation(
                        method=method.upper(),
                        path=str(path),
                        operation_id=str(operation.get("operationId") or ""),
                        summary=str(operation.get("summary") or ""),
                    )
                )
    return found


def default_base_url(document: dict[str, Any]) -> str:
    """Return the first server's absolute URL with its variables' defaults ('' if none)."""
    servers = document.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url") or "")
    for name, variable in _dict(servers[0].get("variables")).items():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace("{" + str(name) + "}", str(variable["default"]))
    return url if urlsplit(url).scheme in ("http", "https") else ""


class _Refs:
    """Follows local references; gathers the schemas a tool's input schema refers to."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.defs: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        self._nodes = 0

    def target(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise OpenAPIInvalid(f"Only references inside the document are followed: {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise OpenAPIInvalid(f"The reference {ref} points at nothing.")
        return node

    def resolved(self, node: Any, depth: int = 0) -> Any:
        """Return a parameter or request body with its own $ref followed."""
        while isinstance(node, dict) and "$ref" in node:
            if depth > 20:
                raise OpenAPIInvalid("References nest too deep.")
            node = self.target(str(node["$ref"]))
            depth += 1
        return node

    def schema(self, node: Any, depth: int = 0) -> Any:
        """Return a schema with every reference rewritten to point into `$defs`."""
        self._nodes += 1
        if self._nodes > MAX_SCHEMA_NODES:
            raise OpenAPIInvalid(f"The operation's schemas exceed {MAX_SCHEMA_NODES} nodes.")
        if depth > MAX_SCHEMA_DEPTH:
            raise OpenAPIInvalid(f"The operation's schemas nest deeper than {MAX_SCHEMA_DEPTH}.")
        if isinstance(node, list):
            return [self.schema(item, depth + 1) for item in node]
        if not isinstance(node, dict):
            return node
        copied = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                copied[key] = f"#/$defs/{self._def_name(value)}"
            else:
                copied[key] = self.schema(value, depth + 1)
        return copied

    def _def_name(self, ref: str) -> str:
        if ref not in self._names:
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", ref.rsplit("/", 1)[-1]) or "schema"
            name, number = base, 2
            while name in self.defs:
                name, number = f"{base}_{number}", number + 1
            self._names[ref] = name
            self.defs[name] = {}  # claimed before recursing, so cycles end
            self.defs[name] = self.schema(self.target(ref))
        return self._names[ref]


def tool_name(operation: Operation) -> str:
    """Return a function name for the operation: its operationId, else method and path."""
    raw = operation.operation_id or f"{operation.method.lower()}_{operation.path}"
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", raw).strip("_-")[:64]
    return name or "tool"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class _Arguments:
    """The arguments an operation takes, gathered from its parameters and its body."""

    properties: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    query_arguments: list[str] = field(default_factory=list)
    body_arguments: list[str] = field(default_factory=list)
    body_argument: str = ""
    notes: list[str] = field(default_factory=list)


def _parameters_read(
    arguments: _Arguments, *, refs: _Refs, path_item: dict[str, Any], spec: dict[str, Any]
) -> None:
    by_place: dict[tuple[str, str], dict] = {}
    for parameter in [*_list(path_item.get("parameters")), *_list(spec.get("parameters"))]:
        parameter = _dict(refs.resolved(parameter))
        if parameter.get("name") and parameter.get("in"):
            by_place[(str(parameter["in"]), str(parameter["name"]))] = parameter  # last wins
    for (place, name), parameter in by_place.items():
        if place not in ("path", "query"):
            arguments.notes.append(
                f"The {place} parameter '{name}' is not sent; add it as a static header."
            )
            continue
        if not ARGUMENT_NAME.match(name):
            if place == "path":
                raise OpenAPIInvalid(f"The path parameter '{name}' cannot be an argument name.")
            arguments.notes.append(
                f"The query parameter '{name}' is left out: not an argument name."
            )
            continue
        schema = refs.schema(refs.resolved(parameter.get("schema") or {"type": "string"}))
        if parameter.get("description") and isinstance(schema, dict):
            schema = {**schema, "description": str(parameter["description"])}
        arguments.properties[name] = schema
        if place == "path" or parameter.get("required") is True:
            arguments.required.append(name)
        if place == "query":
            arguments.query_arguments.append(name)


def _body_read(arguments: _Arguments, *, refs: _Refs, spec: dict[str, Any], method: str) -> None:
    request_body = _dict(refs.resolved(spec.get("requestBody")))
    if not request_body or method not in METHODS_WITH_BODY:
        return
    content = _dict(request_body.get("content"))
    media = next(
        (_dict(content[t]) for t in content if t == "application/json" or t.endswith("+json")),
        None,
    )
    if media is None:
        arguments.notes.append("The request body is not JSON and is not sent.")
        return
    raw_schema = media.get("schema") or {}
    body_schema = _dict(refs.resolved(raw_schema))
    body_properties = _dict(body_schema.get("properties"))
    if (
        body_properties
        and not set(body_properties) & set(arguments.properties)
        and all(ARGUMENT_NAME.match(str(name)) for name in body_properties)
    ):
        # Named body fields, each an argument of its own.
        for name, schema in body_properties.items():
            arguments.properties[name] = refs.schema(schema)
            arguments.body_arguments.append(name)
        arguments.required.extend(
            name
            for name in _list(body_schema.get("required"))
            if isinstance(name, str) and name in body_properties
        )
    else:
        arguments.body_argument = "body"
        arguments.properties["body"] = refs.schema(raw_schema)
        if request_body.get("required") is True:
            arguments.required.append("body")


def tool_config(
    *, document: dict[str, Any], operation: Operation, base_url: str
) -> tuple[dict[str, Any], list[str]]:
    """Return the tool configuration an operation makes, and notes on what was left out."""
    refs = _Refs(document)
    path_item = _dict(document["paths"].get(operation.path))
    spec = _dict(path_item.get(operation.method.lower()))
    arguments = _Arguments()
    _parameters_read(arguments, refs=refs, path_item=path_item, spec=spec)
    _body_read(arguments, refs=refs, spec=spec, method=operation.method)
    properties, required = arguments.properties, arguments.required
    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = list(dict.fromkeys(required))
    if refs.defs:
        input_schema["$defs"] = refs.defs
    description = "\n\n".join(str(spec[key]) for key in ("summary", "description") if spec.get(key))
    url = urljoin(base_url.rstrip("/") + "/", operation.path.lstrip("/"))
    return {
        "name": tool_name(operation),
        "description": (description or operation.key)[:MAX_DESCRIPTION],
        "input_schema": input_schema,
        "method": operation.method,
        "url_template": url,
        "query_arguments": arguments.query_arguments,
        "body_arguments": arguments.body_arguments,
        "body_argument": arguments.body_argument,
    }, arguments.notes
