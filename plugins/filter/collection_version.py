# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filter sagelab.sagemaker.collection_version: a collection's version, read from a source checkout's
galaxy.yml or an installed collection's MANIFEST.json (documentation: collection_version.yml)."""

from __future__ import annotations

import json
import os

import yaml  # ansible-core requires PyYAML
from ansible.errors import AnsibleFilterError


def collection_version(root):
    """`playbook_dir ~ '/..' | sagelab.sagemaker.collection_version`: the version of the collection whose
    root folder is given. A checkout has galaxy.yml; `ansible-galaxy collection install` leaves
    MANIFEST.json (collection_info.version) instead."""
    if not isinstance(root, str) or not root:
        raise AnsibleFilterError(f"collection_version: '{root}' is not allowed; allowed: a collection's root "
                                 "folder (holding galaxy.yml or MANIFEST.json)")
    root = os.path.expanduser(root)
    galaxy, manifest = os.path.join(root, "galaxy.yml"), os.path.join(root, "MANIFEST.json")
    try:
        if os.path.isfile(galaxy):
            with open(galaxy, encoding="utf-8") as handle:
                version = (yaml.safe_load(handle) or {}).get("version")
            source = galaxy
        elif os.path.isfile(manifest):
            with open(manifest, encoding="utf-8") as handle:
                version = (json.load(handle).get("collection_info") or {}).get("version")
            source = manifest
        else:
            raise AnsibleFilterError(f"collection_version: '{root}' holds neither galaxy.yml nor "
                                     "MANIFEST.json; allowed: a collection's root folder")
    except (OSError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise AnsibleFilterError(f"collection_version: cannot read the version in '{root}': {exc}") from exc
    if not isinstance(version, str) or not version:
        raise AnsibleFilterError(f"collection_version: {source} has no version string")
    return version


class FilterModule:
    def filters(self):
        return {"collection_version": collection_version}
