#!/usr/bin/env python3
"""The image's bill of materials as CycloneDX 1.5 JSON, on stdout: every
Debian package installed in the image (from its dpkg database, as
`packages.tsv`: name, version, architecture) and every crate the service's
binary is built from (`cargo metadata` of the workspace, the crates the
service depends on, normal dependencies only), each with a package URL that
vulnerability scanners read.

Usage: sbom.py PACKAGES_TSV CARGO_METADATA_JSON VERSION REVISION
"""

import json
import sys
import uuid
from datetime import datetime, timezone


def debian_components(path):
    components = []
    for line in open(path):
        name, version, arch = line.rstrip("\n").split("\t")
        components.append({"type": "library", "name": name, "version": version,
                           "purl": f"pkg:deb/debian/{name}@{version}?arch={arch}&distro=debian-12"})
    return components


def crate_components(path):
    """The crates reachable from certificate-service through normal
    dependencies (build scripts' and tests' own are not in the binary)."""
    metadata = json.load(open(path))
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    root = next(p["id"] for p in metadata["packages"] if p["name"] == "certificate-service")
    seen, todo = set(), [root]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for dep in nodes[current]["deps"]:
            if any(kind["kind"] is None for kind in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    components = []
    for package_id in sorted(seen, key=lambda i: (packages[i]["name"], packages[i]["version"])):
        package = packages[package_id]
        if package["source"] is None:
            continue  # the workspace's own crates are the service itself
        components.append({"type": "library", "name": package["name"], "version": package["version"],
                           "purl": f"pkg:cargo/{package['name']}@{package['version']}",
                           **({"licenses": [{"expression": package["license"]}]} if package.get("license") else {})})
    return components


def main():
    packages_tsv, cargo_metadata, version, revision = sys.argv[1:5]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "component": {"type": "container", "name": "certificate-service", "version": version,
                          "properties": [{"name": "org.opencontainers.image.revision", "value": revision}]},
        },
        "components": debian_components(packages_tsv) + crate_components(cargo_metadata),
    }
    json.dump(bom, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
