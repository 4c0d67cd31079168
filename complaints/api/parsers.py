"""Strict JSON: one loader for every JSON body we accept (the API and the signed webhooks).

It answers a clear error, never a server error, for documents Python's `json` would accept or choke
on: NaN and Infinity (not JSON; they would be stored as the text "nan"), nesting deeper than any
real payload (`[[[[…` raised RecursionError), and lone UTF-16 surrogates (which the database and the
field encryption cannot encode).
"""

import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


class JSONRefused(ValueError):
    """The body is not JSON we accept; the message says why."""


def _no_constants(name: str) -> None:
    raise JSONRefused(f"{name} is not a JSON value.")


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth > limit:
                return True
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads_strict(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON document; raises JSONRefused for invalid JSON, NaN/Infinity, over-deep nesting and
    text that is not valid Unicode."""
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except JSONRefused:
        raise
    except RecursionError:
        raise JSONRefused(f"The document is nested more than {max_depth} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONRefused(f"The body is not valid JSON: {exc}") from None
    if _depth_exceeds(data, max_depth):
        raise JSONRefused(f"The document is nested more than {max_depth} levels deep.")
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JSONRefused("The document is not valid UTF-8 text.") from None
    return data


class StrictJSONParser(JSONParser):
    """DRF's JSON parser on loads_strict: every body it cannot use is a 400 (ParseError)."""

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping | None = None
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding)
            return loads_strict(text)
        except (JSONRefused, UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
