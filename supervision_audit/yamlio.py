"""Safe YAML reading with line numbers and duplicate-key detection.

Only PyYAML's SafeLoader is used (a `!!python/...` tag is an error naming the file and
line). PyYAML silently keeps the last of two duplicate keys; this loader reports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import RulesetError


class LineDict(dict):
    """A mapping that remembers the YAML line (1-based) of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that remembers its YAML line."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader keeping line marks and refusing duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    if hasattr(loader, "flatten_mapping"):  # SafeLoader: YAML merge keys (<<)
        loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise RulesetError(
                "a mapping key must be a plain value", line=key_node.start_mark.line + 1
            ) from exc
        if key in result:
            raise RulesetError(
                f"duplicate key {key!r} (first on line {result.key_lines[str(key)]})",
                line=key_node.start_mark.line + 1,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _PlainLoader(yaml.BaseLoader):
    """Every scalar is the string as written (no YAML 1.1 guessing: `no` stays "no", `010`
    stays "010", `2024-02-30` stays text for the field's own check); line marks and
    duplicate-key refusal as in _Loader. For configs whose fields are validated by type."""


_PlainLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_PlainLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml_text(text: str, source: str, *, plain: bool = False) -> Any:
    """Parse YAML text safely; errors name `source` and the line. `plain`: every scalar is
    a string as written (see _PlainLoader)."""
    try:
        return yaml.load(text, Loader=_PlainLoader if plain else _Loader)
    except RulesetError as exc:
        exc.file = source
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        if "python/" in str(exc) or "could not determine a constructor" in str(exc):
            problem = "unsafe or unknown YAML tag (only plain YAML is accepted)"
        raise RulesetError(problem, file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise RulesetError(f"invalid YAML ({type(exc).__name__})", file=source) from None
    except RecursionError:
        raise RulesetError("invalid YAML: nested too deeply", file=source) from None
    except (ValueError, OverflowError) as exc:
        # a value YAML 1.1 types but Python cannot hold: 2024-02-30, a 5,000-digit number
        what = "a number too long" if "digits" in str(exc) else "an impossible date or number"
        raise RulesetError(f"invalid YAML: {what}", file=source) from None


def load_yaml_file(path: Path, *, plain: bool = False) -> Any:
    """Read and parse a YAML file; a missing or undecodable file is a RulesetError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RulesetError("file not found", file=str(path)) from None
    except UnicodeDecodeError:
        raise RulesetError("not UTF-8 text", file=str(path)) from None
    except OSError as exc:
        raise RulesetError(f"cannot read ({exc.strerror})", file=str(path)) from None
    return load_yaml_text(text, str(path), plain=plain)
