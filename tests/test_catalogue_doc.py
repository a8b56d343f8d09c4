"""docs/catalogue.md is generated from the code (harness.catalogue, harness.sim.variants): never stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "tools" / "gen_catalogue_doc.py"
DOC = REPO / "docs" / "catalogue.md"


def _generator() -> ModuleType:
    # Loaded by path: zigpy installs a top-level package named `tools` that `import tools` would find.
    spec = importlib.util.spec_from_file_location("gen_catalogue_doc", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_doc_matches_the_code() -> None:
    expected = _generator().render()
    assert DOC.is_file(), f"{DOC} is missing: run python tools/gen_catalogue_doc.py"
    assert DOC.read_text(encoding="utf-8") == expected, (
        f"{DOC.relative_to(REPO)} is out of date with harness/catalogue.py or harness/sim/variants.py: "
        "regenerate it with `python tools/gen_catalogue_doc.py` and commit the result"
    )


def test_every_case_is_listed_with_a_proving_variant() -> None:
    from harness.catalogue import CASES

    generator = _generator()
    for case_id in CASES:
        assert generator.proofs(case_id), f"{case_id} has no fault variant in harness.sim.matrix.MATRIX"
