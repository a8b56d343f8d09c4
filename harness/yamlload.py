"""Strict YAML loading: a key given twice in a mapping is an error, not the last one silently winning.

Profiles are read with safe_load's types (StrictLoader); operator answers files keep every
scalar as text, so that yes stays 'yes' (TextLoader). PyYAML raises the duplicate as a
ConstructorError whose marks point at the mapping and at the repeated key.

Both parse with libyaml (PyYAML's C parser) when PyYAML was built with it, as its wheels
are: the same documents, nodes and marks (line and column) as the pure-Python parser, about
eight times faster (a reference profile: 2.3 ms against 0.3 ms), which the selftest pays for
every run's profile, twice. Only the wording of a syntax error's problem may differ.
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


# libyaml's parser under PyYAML's own constructors and resolver (CSafeLoader, CBaseLoader);
# the pure-Python loaders where PyYAML was built without it.
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TextBase: type = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class StrictLoader(_UniqueKeys, _SafeBase):  # type: ignore[misc, valid-type]
    """safe_load, except a repeated key is an error."""


class TextLoader(_UniqueKeys, _TextBase):  # type: ignore[misc, valid-type]
    """Every scalar as text (yes stays 'yes'), and a repeated key is an error."""
