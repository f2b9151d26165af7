"""The README's snippets, read by the markers before them, so the tests run exactly what a
reader copies and the README cannot drift from what is tested."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SNIPPET = re.compile(r"<!-- snippet: (?P<name>[\w-]+) -->\n```\w*\n(?P<body>.*?)\n```", re.S)


def readme_snippet(name: str) -> str:
    """The fenced block right after ``<!-- snippet: name -->`` in README.md."""
    snippets = {match["name"]: match["body"] for match in SNIPPET.finditer(README.read_text())}
    return snippets[name]


def readme_environment(name: str) -> dict[str, str]:
    """A snippet of ``NAME=value`` lines as a dict."""
    pairs = (line.split("=", 1) for line in readme_snippet(name).splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}
