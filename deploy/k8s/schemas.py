"""Kubernetes' JSON Schemas for kubeconform, offline: `python -m deploy.k8s.schemas VERSION OUT MANIFEST...`.

kubeconform fetches its schemas from a web site this machine (and CI) cannot reach. The PyPI package
kubernetes-validate ships them, but with references into one shared file that kubeconform cannot follow; this writes,
for each built-in kind the manifests use, a standalone schema (the kind's schema with the definitions it refers to)
under OUT/v<VERSION>-standalone-strict/, kubeconform's layout. Run it where kubernetes-validate is importable
(deploy/k8s/check.sh: `uv run --no-project --with kubernetes-validate==...`).
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

REF = "/api/_definitions.json#"


def kinds(manifests: list[Path]) -> set[str]:
    """kubeconform's file name of each resource's schema: <kind>[-<group>]-<version>.json, lower case."""
    names = set()
    for manifest in manifests:
        for document in yaml.safe_load_all(manifest.read_text()):
            if not isinstance(document, dict) or "kind" not in document:
                continue
            group, _, version = str(document["apiVersion"]).rpartition("/")
            suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
            names.add(f"{document['kind'].lower()}{suffix}.json")
    return names


def references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix("#/$defs/")} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(references(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(references(value) for value in node))
    return set()


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    wanted: set[str] = set()
    todo = references(schema)
    while todo:
        name = todo.pop()
        if name in wanted or name not in definitions:
            continue
        wanted.add(name)
        todo |= references(definitions[name])
    return {**schema, "$defs": {name: definitions[name] for name in sorted(wanted)}}


def main(argv: list[str]) -> int:
    version, out, *manifests = argv
    source = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}-local-strict"
    definitions = json.loads((source / "_definitions.json").read_text().replace(REF, "#"))["$defs"]
    target = Path(out) / f"v{version}-standalone-strict"
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in sorted(kinds([Path(m) for m in manifests])):
        schema_file = source / name
        if not schema_file.is_file():  # a custom resource: its schema is the operator's, not Kubernetes'
            continue
        schema = json.loads(schema_file.read_text().replace(REF, "#"))
        (target / name).write_text(json.dumps(standalone(schema, definitions)))
        written += 1
    print(f"{written} schemas of Kubernetes {version} in {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
