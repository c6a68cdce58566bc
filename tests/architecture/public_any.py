"""List the public signatures of `ishc_runtime` that still take or give `Any`.

JSON objects (`dict[str, Any]`, `Mapping[str, Any]`: payloads, results) are not counted;
everything else is, and `ALLOWED` says why each one left is there. `make check` runs this and
fails on a signature that is neither typed nor explained.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "runtime" / "src" / "ishc_runtime"
JSON_OBJECTS = ("dict[str, Any]", "Mapping[str, Any]")

ALLOWED = {
    "ishc_runtime.leases.hold": "any coroutine as the work (Coroutine[Any, Any, T])",
    "ishc_runtime.observability.logging.RedactSensitive.clean": "walks any logged value",
    "ishc_runtime.observability.logging.bind_command_context": "structlog's context tokens",
    "ishc_runtime.observability.logging.unbind_command_context": "structlog's context tokens",
}


def _takes_any(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    for json_object in JSON_OBJECTS:
        text = text.replace(json_object, "")
    return "Any" in text


def _functions(nodes: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.AST]]:
    for node in nodes:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from _functions(node.body, f"{prefix}{node.name}.")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            yield f"{prefix}{node.name}", node


def public_signatures_with_any(root: Path = RUNTIME) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] == "testing" or any(
            part.startswith("_") and part != "__init__.py" for part in relative.parts
        ):
            continue
        module = ".".join(("ishc_runtime", *relative.with_suffix("").parts))
        module = module.removesuffix(".__init__")
        for name, function in _functions(ast.parse(path.read_text()).body, f"{module}."):
            assert isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            arguments = function.args
            parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            parameters += [p for p in (arguments.vararg, arguments.kwarg) if p is not None]
            annotations = [p.annotation for p in parameters if p.annotation is not None]
            if function.returns is not None:
                annotations.append(function.returns)
            if any(_takes_any(annotation) for annotation in annotations):
                found.append(name)
    return found


def main() -> int:
    found = public_signatures_with_any()
    for name in found:
        reason = ALLOWED.get(name, "NOT EXPLAINED: type it, or say why in ALLOWED")
        sys.stdout.write(f"{name}: {reason}\n")
    return 1 if set(found) - set(ALLOWED) else 0


if __name__ == "__main__":
    sys.exit(main())
