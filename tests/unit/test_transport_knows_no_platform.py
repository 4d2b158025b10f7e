"""The HTTP transport (extract/http.py) knows no platform: what an answer means is the business
of the policy it is given (extract/graph_policy.py, extract/x_policy.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from social_crm.extract import http

TRANSPORT = Path(http.__file__)
# what the transport may import: the standard library, its HTTP library, the settings (CA
# bundle) and the redaction of secrets; nothing of extraction, where the platforms live
ALLOWED_PACKAGES = {"requests"}
ALLOWED_MODULES = {"social_crm.settings", "social_crm.redact"}
# words of the platforms' own vocabularies: their headers, error types, codes' names
PLATFORM_WORDS = (
    "graph",
    "facebook",
    "twitter",
    "x-rate-limit",
    "x-app-usage",
    "x-page-usage",
    "x-business-use-case-usage",
    "estimated_time_to_regain_access",
    "usage-capped",
    "client-forbidden",
    "client-not-enrolled",
    "tier",
)


def _tree() -> ast.Module:
    return ast.parse(TRANSPORT.read_text(encoding="utf-8"))


def _imported_modules(tree: ast.Module) -> set[str]:
    """Every module the file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names.add(base)
            # `from social_crm import settings` imports the module social_crm.settings
            names.update(f"{base}.{alias.name}" for alias in node.names if base == "social_crm")
    return names


def _string_constants(tree: ast.Module) -> list[str]:
    """The file's string literals that are not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_the_transport_imports_only_the_standard_library_requests_settings_and_redaction():
    outside = {
        name
        for name in _imported_modules(_tree())
        if name.split(".")[0] not in sys.stdlib_module_names | ALLOWED_PACKAGES
        and name not in ALLOWED_MODULES
        and name != "social_crm"
    }
    assert outside == set()


@pytest.mark.parametrize("word", PLATFORM_WORDS)
def test_the_transport_code_names_no_platform_rule(word):
    quoted = [text for text in _string_constants(_tree()) if word in text.lower()]
    assert quoted == []
