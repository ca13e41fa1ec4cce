"""A machine-readable error code is defined once, as a StrEnum member of an app's
`errors.ErrorCode` (`o2c_api.errors.ErrorCode` for the codes every API shares), and the code
that raises or answers it names the member: a bare string can drift from the member (a typo,
a rename) without any test noticing, and a client would see a code that is defined nowhere."""

import ast
import importlib
import re
from enum import StrEnum
from pathlib import Path

import pytest

from tests.test_constraint_codes import PROJECT_APPS as APPS

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"tests", "migrations", "bench", ".venv", "node_modules"}
# Calls whose second positional argument is an error code.
CODE_CALLS = {"ValidationError", "Conflict", "ErrorDetail"}
CODE_SHAPE = re.compile(r"[a-z]+(_[a-z]+)*")

# Bare strings the scan finds that are justified, by (file, line's text stripped): each with
# why it stays a string.
ALLOWED = {
    ("dunning/defaults.py", '{"code": "overdue_invoice", "days_past_due": 60},'): (
        "a credit-hold rule's kind (DunningRule.Code), not an error code; a migration installs "
        "these rows with the historical models, so the module does not import the live model"
    ),
    (
        "dunning/defaults.py",
        '{"code": "broken_promises", "broken_promises": 2, "window_days": 90},',
    ): ("as above: a credit-hold rule's kind"),
    (
        "dunning/defaults.py",
        '{"code": "over_credit_limit"},',
    ): "as above: a credit-hold rule's kind",
}


def source_files() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
    )


def _is_text(node: ast.AST | None) -> bool:
    if isinstance(node, ast.BoolOp):  # `error.code or "invalid"`
        return _is_text(node.values[-1])
    if isinstance(node, ast.IfExp):  # `"a" if x else "b"`
        return _is_text(node.body) or _is_text(node.orelse)
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def bare_codes(tree: ast.AST) -> list[ast.AST]:
    """The nodes of `tree` that write an error code as a string: `code="..."`,
    `violation_error_code="..."`, `{"code": "..."}`, `ValidationError(message, "...")`,
    `self.fail("...")`, `something.code == "..."`, `code = "..."`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("code", "violation_error_code"):
            if _is_text(node.value):
                found.append(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and _is_text(value):
                    found.append(value)
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if name in CODE_CALLS and len(node.args) >= 2 and _is_text(node.args[1]):
                found.append(node.args[1])
            elif name == "fail" and node.args and _is_text(node.args[0]):
                found.append(node.args[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign) and _is_text(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
                found.append(node.value)
        elif isinstance(node, ast.Compare):
            # An error's code against a snake_case string; a segment's code ("EMEA") is no
            # error code.
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides) and any(
                _is_text(s) and CODE_SHAPE.fullmatch(s.value) for s in sides
            ):
                found.append(node)
    return found


def test_no_error_code_is_a_bare_string():
    # Given every non-test, non-migration module of the project
    offenders = []
    for path in source_files():
        text = path.read_text()
        lines = text.splitlines()
        relative = path.relative_to(ROOT).as_posix()

        # When the modules are scanned for codes written as strings
        for node in bare_codes(ast.parse(text)):
            line = lines[node.lineno - 1].strip()
            if (relative, line) not in ALLOWED:
                offenders.append(f"{relative}:{node.lineno}: {line}")

    # Then there are none but the justified ones: each names its enum member
    assert offenders == []


def test_the_allowlist_holds_only_lines_that_exist():
    # An entry whose line was fixed or moved would let a new bare code in unnoticed.
    present = set()
    for path in source_files():
        text = path.read_text()
        lines = text.splitlines()
        relative = path.relative_to(ROOT).as_posix()
        for node in bare_codes(ast.parse(text)):
            present.add((relative, lines[node.lineno - 1].strip()))

    assert set(ALLOWED) <= present


@pytest.mark.parametrize(
    "source",
    [
        'raise ValidationError("No.", code="nope")',
        'ValidationError("No.", "nope")',
        'Conflict("No.", "nope")',
        'GraphQLError("No.", extensions={"code": "nope"})',
        'models.CheckConstraint(condition=q, name="n", violation_error_code="nope")',
        'x = {"code": error.code or "nope"}',
        'self.fail("nope")',
        'if outcome.code == "nope": pass',
        'code = "nope" if for_input else ErrorCode.NOT_FOUND',
    ],
)
def test_the_scan_finds_each_way_of_writing_a_code(source):
    assert len(bare_codes(ast.parse(source))) == 1


def test_the_scan_lets_enum_members_through():
    source = (
        'raise ValidationError("No.", code=ErrorCode.NOPE)\n'
        'GraphQLError("No.", extensions={"code": ErrorCode.NOPE})\n'
        'x = {"code": error.code or ErrorCode.INVALID}\n'
        "if outcome.code == ErrorCode.NOPE: pass\n"
    )
    assert bare_codes(ast.parse(source)) == []


def error_enums() -> dict[str, type[StrEnum]]:
    """Every StrEnum of an app's `errors` module, by its dotted name."""
    enums = {}
    for app in APPS:
        module = importlib.import_module(f"{app}.errors")
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, StrEnum)
                and value.__module__ == module.__name__
            ):
                enums[f"{module.__name__}.{name}"] = value
    return enums


def test_every_app_has_its_error_enum():
    assert sorted(error_enums()) == sorted(f"{app}.errors.ErrorCode" for app in APPS)


def test_each_code_is_defined_in_one_enum():
    # Given every error enum of the project
    owners: dict[str, set[str]] = {}
    for name, enum in error_enums().items():
        for member in enum:
            owners.setdefault(member.value, set()).add(name)

    # When the values more than one enum defines are gathered
    shared = {value: names for value, names in owners.items() if len(names) > 1}

    # Then there are none
    assert shared == {}


def test_each_enum_defines_a_value_once():
    # A second name for the same value is an alias StrEnum folds silently into the first.
    for name, enum in error_enums().items():
        assert len(enum.__members__) == len(list(enum)), name


def test_the_statuses_and_the_admins_sentences_are_for_defined_codes():
    from o2c_api.admin import SENTENCES
    from o2c_api.api.exceptions import STATUS_BY_CODE

    members = {member for enum in error_enums().values() for member in enum}
    for code in [*STATUS_BY_CODE, *SENTENCES]:
        assert isinstance(code, StrEnum), code
        assert code in members, code
