"""The examples in finitediff.testing's docstrings and README section run as shown."""

import doctest
import importlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("module", ["assertions", "expressions", "strategies"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"finitediff.testing.{module}"))
    assert result.failed == 0


def test_readme_property_testing_section():
    text = README.read_text()
    section = re.search(r"^## Property-testing your own derivatives\n(.*?)(?=^## |\Z)", text,
                        flags=re.S | re.M).group(1)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(section, {}, "README property-testing", str(README), 0)
    assert test.examples, "the section has no examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0
