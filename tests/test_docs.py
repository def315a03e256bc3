"""The examples in the README and in the docstrings run and print what they say.

The README runs one ``## `` section at a time (the blocks of a section share
their names). A section that imports a library of an extra that is not
installed is skipped, naming the extra; so is a module that needs one.
"""

import ast
import doctest
import importlib
import importlib.util
import re
from pathlib import Path

import pytest
from skips import skip_reason

import finitediff
from finitediff.extras import extra_of

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
PARSER = doctest.DocTestParser()


def _readme_sections() -> list[tuple[str, str, int]]:
    """(title, text, line number) of every ``## `` section that has examples."""
    text = README.read_text()
    starts = [m.start() for m in re.finditer(r"^## ", text, flags=re.M)] + [len(text)]
    sections = []
    for start, end in zip(starts, starts[1:]):
        section = text[start:end]
        if PARSER.get_examples(section):
            title = section.splitlines()[0].removeprefix("## ")
            sections.append((title, section, text.count("\n", 0, start)))
    return sections


def _imported_modules(examples) -> set[str]:
    """The top-level modules the examples import."""
    modules = set()
    for example in examples:
        for node in ast.walk(ast.parse(example.source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules


def _skip_unless_installed(modules) -> None:
    for module in sorted(modules):
        extra = extra_of(module)
        if extra and importlib.util.find_spec(module) is None:
            pytest.skip(skip_reason(module, extra))


@pytest.mark.parametrize(("title", "text", "lineno"), _readme_sections(),
                         ids=[title for title, _, _ in _readme_sections()])
def test_readme_section_examples(title, text, lineno):
    test = PARSER.get_doctest(text, {}, f"README.md, {title}", str(README), lineno)
    _skip_unless_installed(_imported_modules(test.examples))
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.failures == 0


def test_readme_has_examples():
    assert len(_readme_sections()) >= 4


def _modules() -> list[str]:
    """Every module of the package, found on disk (importing them may need an extra)."""
    package = Path(finitediff.__file__).parent
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = ("finitediff", *path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if not extra_of(error.name or ""):
            raise
        pytest.skip(str(error))
    result = doctest.testmod(module, optionflags=FLAGS)
    assert result.failed == 0
