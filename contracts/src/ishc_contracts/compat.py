"""Compatibility between two JSON Schemas of the same event version.

Events are kept forever and consumers upgrade at their own pace, so one version must be
readable both ways: a consumer still on the old schema reads events written with the new
one, and new code replays events stored under the old one. Hence "full" compatibility:

Incompatible (needs a new schema_version and an upcaster):
- a field removed (new code no longer carries it; old readers may require it);
- a field's type or format changed, in either direction (widening, e.g. adding `null`,
  breaks old readers; narrowing breaks replays of old events);
- a constraint changed (min/max, lengths, pattern): tightening breaks replays, loosening
  lets through values old readers reject;
- a new required field (old events do not have it) or an optional field made required;
- a required field made optional (writers may then omit what old readers require);
- enum / Literal values removed (old events hold them) and ALSO values added: an old reader
  validating a new value fails, so a new value is a new version;
- the `x-sensitive` mark removed (the value would travel and be logged in clear) or added
  (readers of old events would expect an encrypted value that was stored in clear).

Compatible: a new optional field (readers ignore unknown fields: `EventRegistry.decode`
validates with extra="ignore"), and changes to titles, descriptions, examples and defaults.
`additionalProperties` is not compared for the same reason.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ishc_contracts.events import SENSITIVE_KEY

Schema = dict[str, Any]

_CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)


def check_compatible(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Human-readable reasons why `new_schema` is not compatible with `old_schema` (empty if it
    is). Pure: `$ref`s are resolved inside each schema's own `$defs`."""
    return _Comparison(old_schema, new_schema).run()


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.issues: list[str] = []
        self._seen: set[tuple[str, str]] = set()

    def run(self) -> list[str]:
        self.compare(self.old_root, self.new_root, "")
        return self.issues

    def report(self, path: str, problem: str) -> None:
        self.issues.append(f"{path or '<event>'}: {problem}")

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        old_variants = _variants(old, self.old_root)
        new_variants = _variants(new, self.new_root)
        if old_variants.keys() != new_variants.keys():
            self.report(
                path,
                f"type changed from {_describe(old_variants)} to {_describe(new_variants)}",
            )
        for kind in sorted(old_variants.keys() & new_variants.keys()):
            (old_ref, old_node), (new_ref, new_node) = old_variants[kind], new_variants[kind]
            if old_ref and new_ref:
                # Recursive models refer to themselves: compare each pair of definitions once.
                if (old_ref, new_ref) in self._seen:
                    continue
                self._seen.add((old_ref, new_ref))
            self.compare_variant(old_node, new_node, path)

    def compare_variant(self, old: Schema, new: Schema, path: str) -> None:
        old_values, new_values = _enum_values(old), _enum_values(new)
        if old_values is not None and new_values is not None:
            if removed := old_values - new_values:
                self.report(path, f"enum values removed: {_listing(removed)}")
            if added := new_values - old_values:
                self.report(path, f"enum values added: {_listing(added)} (old readers reject them)")
        for key in _CONSTRAINTS:
            if old.get(key) != new.get(key):
                self.report(path, f"constraint {key} changed from {old.get(key)} to {new.get(key)}")
        if "properties" in old or "properties" in new:
            self.compare_object(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{path}{{}}")

    def compare_object(self, old: Schema, new: Schema, path: str) -> None:
        old_fields: Schema = old.get("properties", {})
        new_fields: Schema = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name in sorted(old_fields.keys() | new_fields.keys()):
            where = f"{path}.{name}" if path else name
            if name not in new_fields:
                self.report(where, "field removed")
                continue
            if name not in old_fields:
                if name in new_required:
                    self.report(where, "new required field added")
                continue
            if name in new_required and name not in old_required:
                self.report(where, "optional field made required")
            if name in old_required and name not in new_required:
                self.report(where, "required field made optional (old readers need it)")
            self.compare_field(old_fields[name], new_fields[name], where)

    def compare_field(self, old: Schema, new: Schema, path: str) -> None:
        was = bool(_resolve(old, self.old_root).get(SENSITIVE_KEY))
        now = bool(_resolve(new, self.new_root).get(SENSITIVE_KEY))
        if was and not now:
            self.report(path, f"{SENSITIVE_KEY} mark removed")
        if now and not was:
            self.report(path, f"{SENSITIVE_KEY} mark added (stored values are in clear)")
        self.compare(old, new, path)


def _resolve(node: Schema, root: Schema) -> Schema:
    return _resolve_ref(node, root)[1]


def _resolve_ref(node: Schema, root: Schema) -> tuple[str, Schema]:
    """Follow local `$ref`s (`#/$defs/X`, any `#/...` pointer), keeping sibling keys; also
    return the last reference followed ("" if none)."""
    ref = ""
    while "$ref" in node:
        ref = str(node["$ref"])
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**target, **siblings}
    return ref, node


def _variants(node: Schema, root: Schema) -> dict[str, tuple[str, Schema]]:
    """The alternatives a value may take, keyed by a kind such as `string/date` or `null`,
    each with the reference it came through."""
    flat: list[tuple[str, Schema]] = []
    pending = [_resolve_ref(node, root)]
    while pending:
        ref, current = pending.pop(0)
        alternatives = current.get("anyOf") or current.get("oneOf")
        if alternatives:
            pending[:0] = [_resolve_ref(item, root) for item in alternatives]
        elif isinstance(current.get("type"), list):
            pending[:0] = [(ref, {**current, "type": kind}) for kind in current["type"]]
        else:
            flat.append((ref, current))
    kinds = [_kind(item) for _, item in flat]
    repeated = {kind for kind, count in Counter(kinds).items() if count > 1}
    # Two object models in one union: tell them apart by title.
    return {
        (f"{kind}:{item[1].get('title', index)}" if kind in repeated else kind): item
        for index, (kind, item) in enumerate(zip(kinds, flat, strict=True))
    }


def _kind(node: Schema) -> str:
    values = _enum_values(node)
    kind = str(node.get("type") or "")
    if values is not None:
        kind = kind or ("string" if all(isinstance(v, str) for v in values) else "mixed")
        return f"enum:{kind}"
    if not kind:
        return "any"
    return f"{kind}/{node['format']}" if "format" in node else kind


def _enum_values(node: Schema) -> set[Any] | None:
    if "enum" in node:
        return set(node["enum"])
    if "const" in node:
        return {node["const"]}
    return None


def _describe(variants: dict[str, tuple[str, Schema]]) -> str:
    return " | ".join(sorted(variants)) or "nothing"


def _listing(values: set[Any]) -> str:
    return ", ".join(sorted(repr(value) for value in values))
