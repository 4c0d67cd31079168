"""A JSON parser that answers 400 for every body it cannot use, never 500."""

import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """DRF's parser, also refusing absurdly deep nesting and lone UTF-16 surrogates.

    Both get past `json.loads` as RecursionError or as strings the database and the
    field encryption cannot encode, which would otherwise surface as server errors.
    """

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise ParseError("JSON parse error - the document is not valid UTF-8 text.") from None
        return data
