"""Reading request bodies: DRF's parsers, with nesting no JSON body of ours needs refused."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's recursion limit (``[`` a
    hundred thousand times is 100 KB) is a 400 like any other malformed body: the json
    module raises RecursionError for it, which DRF does not catch and so answers 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


# DRF's default parsers, with the JSON one above.
API_PARSERS = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
