"""NEG-06 uses the top of the Issuer Event ID range, after which no newer CoT exists: it
must be the last case of a run. pytest runs the suite's modules in name order, so its
module must sort last and hold nothing but NEG-06."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.errors import PreconditionNotMet
from harness.esi.tenancy import MAX_ISSUER_EVENT_ID, Tenancy
from tests.source_tree import parse

TESTCASES = Path(__file__).resolve().parents[1] / "testcases"
RANGE_MODULE = "test_08_event_id_range.py"


def test_the_event_id_range_module_runs_last() -> None:
    modules = sorted(p.name for p in TESTCASES.glob("test_*.py"))
    assert modules[-1] == RANGE_MODULE, f"{modules[-1]} sorts after {RANGE_MODULE}: NEG-06 would no longer run last"


def test_the_event_id_range_module_holds_only_neg_06() -> None:
    tree = parse(TESTCASES / RANGE_MODULE)
    cases = [
        decorator.args[0].value
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "case"
    ]
    assert cases == ["NEG-06"], cases


def test_explicit_issuer_event_ids_keep_the_issued_ones_newer() -> None:
    tenancy = Tenancy()
    first = tenancy.next_issuer_event_id(1_800_000_000.0)
    assert tenancy.use_issuer_event_id(0x7FFFFFFF) == 0x7FFFFFFF
    assert tenancy.next_issuer_event_id(1_800_000_000.0) == 0x80000000 > first
    assert tenancy.use_issuer_event_id(0x00000001) == 0x00000001  # a lower one does not move the sequence back
    assert tenancy.next_issuer_event_id(1_800_000_000.0) == 0x80000001


def test_no_issuer_event_id_after_the_top_of_the_range() -> None:
    tenancy = Tenancy()
    tenancy.use_issuer_event_id(MAX_ISSUER_EVENT_ID)
    with pytest.raises(PreconditionNotMet, match="must be the last of the run"):
        tenancy.next_issuer_event_id(1_800_000_000.0)
    with pytest.raises(ValueError, match="not a uint32"):
        tenancy.use_issuer_event_id(MAX_ISSUER_EVENT_ID + 1)
