"""Read a YAML mapping file strictly: line numbers kept, duplicate keys and syntax errors reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kg.errors import MappingError


class Located(dict):
    """A YAML mapping that remembers the line (1-based) where it starts, and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str | None) -> int:
        """The line of ``key``, or of the mapping when the key is absent."""
        return self.key_lines.get(key, self.line) if key is not None else self.line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text and refuses duplicate keys."""


# Dates stay strings: the mapping resolves them itself, and "2025-08-17" must not become a datetime.date.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, *, display: str) -> Any:
    """Parse ``path``; on error raise MappingError naming ``display:line`` and YAML's reason.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    >>> _ = p.write_text("a: 1\\nb: 2\\na: 3\\n")
    >>> load_yaml(p, display="m.yaml")
    Traceback (most recent call last):
    ...
    kg.errors.MappingError: m.yaml:3: YAML error: duplicate key 'a'
    """
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else 0
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise MappingError(f"YAML error: {reason}", source=f"{display}:{line}") from None
    except UnicodeDecodeError as error:
        raise MappingError(f"not UTF-8 text ({error.reason})", source=display) from None
