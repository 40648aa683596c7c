"""Export the wire Structs as JSON Schema files under ``schemas/json`` for client authors.

The files are committed so that a change to the contract shows up in review as a diff;
``tests/test_schemas_in_sync.py`` fails when they lag behind the Structs.
Regenerate with ``python -m schemas.export``.
"""

import inspect
from pathlib import Path
from types import ModuleType

import msgspec

from schemas import (
    authorities,
    bulk,
    declarations,
    documents,
    drivers,
    errors,
    forwarding,
    operators,
    renewals,
    signing,
    vehicles,
    verification,
)

WIRE_MODULES: tuple[ModuleType, ...] = (
    drivers,
    operators,
    vehicles,
    declarations,
    renewals,
    documents,
    verification,
    bulk,
    authorities,
    forwarding,
    signing,
    errors,
)
FOLDER = Path(__file__).parent / "json"


def wire_structs() -> list[type[msgspec.Struct]]:
    """Every public Struct defined (not merely imported) in the wire modules, in name order."""
    found: dict[str, type[msgspec.Struct]] = {}
    for module in WIRE_MODULES:
        for name, value in vars(module).items():
            # The base classes are imported into every module; they belong to schemas.base.
            if (
                inspect.isclass(value)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                if name in found:
                    raise RuntimeError(f"two wire Structs named {name}: the schema files would collide")
                found[name] = value
    return [found[name] for name in sorted(found)]


def json_schemas() -> dict[str, bytes]:
    """File name (``DeclarationFields.json``) to pretty, deterministic JSON Schema bytes."""
    schemas: dict[str, bytes] = {}
    for struct in wire_structs():
        # Sorted keys: the bytes depend on the contract only, not on the order fields are written in.
        encoded = msgspec.json.encode(msgspec.json.schema(struct), order="sorted")
        schemas[f"{struct.__name__}.json"] = msgspec.json.format(encoded, indent=2) + b"\n"
    return schemas


def write(folder: Path = FOLDER) -> list[Path]:
    """Write the schema files into ``folder``, delete stale ``.json`` files there; return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    schemas = json_schemas()
    for stale in folder.glob("*.json"):
        if stale.name not in schemas:
            stale.unlink()
    written: list[Path] = []
    for name, content in schemas.items():
        path = folder / name
        # Leave unchanged files alone so their modification times do not churn.
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
