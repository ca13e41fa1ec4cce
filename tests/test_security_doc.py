"""docs/security.md names, for each promise, the test that holds it (issue 12, "Done when"):
every test it names exists, so a renamed or deleted test cannot leave a promise unheld."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
# `tests/x.py`, `tests/x.py::test_name`, or `::test_name` (in the file named last before it);
# a name may be wrapped onto the next line after its `::`.
REFERENCE = re.compile(r"(tests/[\w/]+\.py)?::\s*(\w+)|(tests/[\w/]+\.py)")


def references() -> list[tuple[str, str | None]]:
    """(file, test or None) for every test the document names, in order."""
    found, last = [], None
    for match in REFERENCE.finditer(DOC.read_text()):
        path = match.group(1) or match.group(3)
        if path:
            last = path
        found.append((path or last, match.group(2)))
    return found


def functions(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_doc_names_exists():
    named = references()
    missing = [
        (path, name)
        for path, name in named
        if path is None
        or not (ROOT / path).exists()
        or (name is not None and name not in functions(path))
    ]

    assert len(named) > 100
    assert missing == []


def test_each_section_of_promises_names_a_test():
    sections = re.split(r"^## ", DOC.read_text(), flags=re.M)[1:]

    untested = [s.splitlines()[0] for s in sections if not REFERENCE.search(s)]

    assert untested == []
