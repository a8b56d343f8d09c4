"""Strict YAML loading: a key given twice in a mapping is an error, not the last one silently winning.

Profiles are read with safe_load's types (StrictLoader); operator answers files keep every
scalar as text, so that yes stays 'yes' (TextLoader). PyYAML raises the duplicate as a
ConstructorError whose marks point at the mapping and at the repeated key.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

__all__ = ["StrictLoader", "TextLoader"]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeys(yaml.constructor.BaseConstructor):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class StrictLoader(_UniqueKeys, yaml.SafeLoader):
    """safe_load, except a repeated key is an error."""


class TextLoader(_UniqueKeys, yaml.BaseLoader):
    """Every scalar as text (yes stays 'yes'), and a repeated key is an error."""
