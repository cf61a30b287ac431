"""Render a kustomization in Python: the few features deploy/k8s uses, nothing more.

CI validates the rendered manifests without kubectl (not every machine has it). Every
field this renderer does not know is refused, so a kustomization that grows past it
fails loudly here instead of being rendered differently from `kubectl kustomize`;
tests/test_k8s_manifests.py compares the two where kubectl is installed.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

KNOWN = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "images",
    "secretGenerator",
    "generatorOptions",
    "patches",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
POD_OWNERS = {"Deployment", "Job", "StatefulSet", "DaemonSet"}


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize directory` would print (order aside)."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - KNOWN
    if unknown:
        raise ValueError(f"{directory}: kustomization fields not rendered here: {unknown}")
    objects: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects += render(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    objects += _generated_secrets(directory, spec)
    for patch in spec.get("patches", []):
        _apply_patch(objects, patch)
    for image in spec.get("images", []):
        _set_image(objects, image)
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = spec["namespace"]
    return objects


def _generated_secrets(directory: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    generators = spec.get("secretGenerator", [])
    if generators and not spec.get("generatorOptions", {}).get("disableNameSuffixHash"):
        raise ValueError("secretGenerator is rendered only with disableNameSuffixHash")
    secrets = []
    for generator in generators:
        if set(generator) - {"name", "envs"}:
            raise ValueError(f"secretGenerator fields not rendered here: {generator}")
        data: dict[str, str] = {}
        for env_file in generator["envs"]:
            for line in (directory / env_file).read_text().splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                key, _, value = line.partition("=")
                data[key.strip()] = base64.b64encode(value.encode()).decode()
        secrets.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": generator["name"]},
                "type": "Opaque",
                "data": data,
            }
        )
    return secrets


def _apply_patch(objects: list[dict[str, Any]], patch: dict[str, Any]) -> None:
    target = patch["target"]
    if set(target) - {"kind", "name"} or set(patch) - {"target", "patch"}:
        raise ValueError(f"only JSON 6902 patches by kind and name are rendered: {patch}")
    matches = [
        obj
        for obj in objects
        if obj["kind"] == target["kind"] and obj["metadata"]["name"] == target["name"]
    ]
    if len(matches) != 1:
        raise ValueError(f"patch target {target} matches {len(matches)} objects")
    for op in yaml.safe_load(patch["patch"]):
        if op["op"] not in ("replace", "add"):
            raise ValueError(f"JSON patch op not rendered here: {op}")
        *parents, last = op["path"].split("/")[1:]
        node: Any = matches[0]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(index, copy.deepcopy(op["value"]))
            else:
                node[index] = copy.deepcopy(op["value"])
        else:
            if op["op"] == "replace" and last not in node:
                raise ValueError(f"replace of a missing path: {op['path']}")
            node[last] = copy.deepcopy(op["value"])


def _set_image(objects: list[dict[str, Any]], image: dict[str, str]) -> None:
    if set(image) - {"name", "newName", "newTag"}:
        raise ValueError(f"image fields not rendered here: {image}")
    for obj in objects:
        if obj["kind"] not in POD_OWNERS:
            continue
        pod = obj["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            name, _, tag = container["image"].partition(":")
            if name != image["name"]:
                continue
            new = image.get("newName", name)
            new_tag = image.get("newTag", tag)
            container["image"] = f"{new}:{new_tag}" if new_tag else new
