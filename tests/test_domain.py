"""The data class table: a complete row per class, read everywhere instead of branching on the class."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import harness.esi.tenant
import harness.profile
from harness.domain import DATA_CLASSES, MESSAGE_KEY, SERVED_HISTORY, DataClass, DataClassSpec, Fetch, Fuel
from harness.esi import servers
from harness.esi.tenancy import make_tenant
from harness.esi.tenant import Tenant
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.devices.ppmid import ReferencePPMID
from harness.zcl import codec
from harness.zcl.codec import Direction, ZclFrame
from harness.zcl.logs import assemble
from tests.source_tree import parse

REPO = Path(__file__).resolve().parents[1]
OCCUPIERS = [make_tenant(index) for index in range(3)]
BASIC, TIME, METERING, MESSAGING, PREPAYMENT, DEVICE_MANAGEMENT = (0x0000, 0x000A, 0x0702, 0x0703, 0x0705, 0x0708)


# --- the table is complete ----------------------------------------------------------------------


def test_one_row_per_data_class_in_the_enum_order() -> None:
    assert list(DATA_CLASSES) == list(DataClass)
    for data_class, spec in DATA_CLASSES.items():
        assert spec.data_class is data_class


@pytest.mark.parametrize("spec", DATA_CLASSES.values(), ids=lambda spec: str(spec.data_class))
def test_every_field_is_set(spec: DataClassSpec) -> None:
    for row in (spec, spec.fetch):
        for field in dataclasses.fields(row):  # type: ignore[arg-type]
            value = getattr(row, field.name)
            assert value is not None, field.name
            if isinstance(value, str | frozenset):
                assert value, f"{field.name} is empty"
    assert isinstance(spec.fetch, Fetch)
    assert spec.server_cluster in spec.client_clusters  # a unit fetches it as the server's client
    assert callable(spec.item) and callable(spec.item_words) and callable(spec.fetch.shown)
    assert re.fullmatch(r"CLR-0\d", spec.case_id)
    assert spec.words == str(spec.data_class).replace("_", " ")


def test_case_ids_are_distinct_and_in_order() -> None:
    ids = [spec.case_id for spec in DATA_CLASSES.values()]
    assert ids == sorted(set(ids))


def test_the_moved_names_are_still_importable_from_their_old_modules() -> None:
    assert harness.profile.DataClass is DataClass
    assert harness.esi.tenant.DataClass is DataClass
    assert harness.esi.tenant.Fuel is Fuel
    assert harness.esi.tenant.MESSAGE_KEY == MESSAGE_KEY == MESSAGING
    assert harness.esi.tenant.SERVED_HISTORY == SERVED_HISTORY


# --- the item mapping round-trips ----------------------------------------------------------------


def meter(tenant: Tenant, fuel: Fuel, *, message_published: bool = True) -> SimpleNamespace:
    """What the ESI servers read of an emulated meter."""
    return SimpleNamespace(tenant=tenant, fuel=fuel, message_published=message_published, cot=None, zcl_time=lambda: 1)


def fetched(spec: DataClassSpec, on: SimpleNamespace, fetch: Fetch | None = None) -> ZclFrame:
    """A unit's fetch (as the table says) answered by the emulated meter, as the unit decodes it."""
    fetch = fetch or spec.fetch
    cluster = spec.cluster_of(fetch)
    request = codec.build(cluster, fetch.command, tsn=7, direction=Direction.TO_SERVER, **fetch.fields)
    answers = servers.answers(on, codec.decode(cluster, request))  # type: ignore[arg-type]
    assert answers
    # A log split across commands (harness.zcl.logs) is one answer, as a unit assembles it.
    parts = [codec.decode(cluster, answer) for answer in answers]
    answer = assemble(parts) if len(parts) > 1 else parts[0]
    asked = list(fetch.fields.get("attribute_ids", []))  # type: ignore[call-overload]
    got = list(answer.fields.get("status_records", []))
    while answer.command_name == "read_attributes_rsp" and 0 < len(got) < len(asked):
        # The records that did not fit one secured frame: a unit asks for them again.
        rest = codec.build(
            cluster, "read_attributes", tsn=8, direction=Direction.TO_SERVER, attribute_ids=asked[len(got) :]
        )
        more = servers.answer(on, codec.decode(cluster, rest))  # type: ignore[arg-type]
        assert more is not None
        records = codec.decode(cluster, more).fields["status_records"]
        assert records, "a Read Attributes Response with no room for one record"
        got += records
        answer = dataclasses.replace(answer, fields={**answer.fields, "status_records": got})
    return answer


@pytest.mark.parametrize("tenant", OCCUPIERS, ids=lambda t: t.name)
@pytest.mark.parametrize("spec", DATA_CLASSES.values(), ids=lambda spec: str(spec.data_class))
def test_what_the_meter_serves_is_what_the_occupier_has(spec: DataClassSpec, tenant: Tenant) -> None:
    for fuel in Fuel:
        shown: set[tuple[str, int, int]] = set()
        for fetch in spec.fetches:  # a class fetched several ways is shown from them all
            answer = fetched(spec, meter(tenant, fuel), fetch)
            assert answer.command_name == fetch.answer
            shown |= {(str(fuel), key, value) for key, value in fetch.shown(answer)}
        assert shown == tenant.items(spec.data_class, fuel)
        assert shown, f"occupier {tenant.name} has no {spec.data_class} on {fuel}"
    assert tenant.items(spec.data_class) == frozenset().union(*(tenant.items(spec.data_class, f) for f in Fuel))


@pytest.mark.parametrize("data_class", DataClass)
def test_occupiers_never_share_an_item(data_class: DataClass) -> None:
    seen: set[tuple[str, int, int]] = set()
    for tenant in OCCUPIERS:
        items = tenant.items(data_class)
        assert not items & seen
        seen |= items


@pytest.mark.parametrize("spec", DATA_CLASSES.values(), ids=lambda spec: str(spec.data_class))
def test_served_at_move_in_is_what_a_new_occupier_is_served(spec: DataClassSpec) -> None:
    # Right after a move-in the supplier has pushed nothing yet.
    answer = fetched(spec, meter(OCCUPIERS[1], Fuel.ELECTRICITY, message_published=False))
    served = answer.command_name == spec.fetch.answer and bool(list(spec.fetch.shown(answer)))
    assert served is spec.served_at_move_in
    assert spec.pushed_by_supplier is not spec.served_at_move_in


def test_item_words_are_as_an_operator_reads_them() -> None:
    tenant = OCCUPIERS[0]
    words = {
        dc: DATA_CLASSES[dc].item_words(min(tenant.items(dc, Fuel.GAS))) for dc in DataClass
    }  # gas: the m³ rendering
    assert words == {
        DataClass.CONSUMPTION_HISTORY: "today 15.007 m³",
        DataClass.TOP_UP_HISTORY: "top-up of £151.00 on 2025-12-25 18:46 UTC",
        DataClass.DEBT_RECOVERY: "£152.00 collected on 2025-12-25 19:46 UTC",
        DataClass.SUPPLIER_MESSAGES: "message ID 15400",
    }
    assert DATA_CLASSES[DataClass.CONSUMPTION_HISTORY].item_words(("electricity", 0x0401, 12)) == "today 12 Wh"
    assert DATA_CLASSES[DataClass.CONSUMPTION_HISTORY].item_words(("electricity", 0x9999, 12)) == "#39321 12"


def test_reference_descriptors_list_the_client_clusters_of_what_they_store() -> None:
    for model in (ReferenceIHD, ReferencePPMID):
        clusters = set(model.output_clusters(SimpleNamespace(stores=model.stores)))  # type: ignore[arg-type]
        for data_class in model.stores:
            assert DATA_CLASSES[data_class].client_clusters <= clusters
    # The reference simple descriptors themselves (PROF-01 reads them off the air).
    # The IHD reads cost history from Prepayment (harness.domain: consumption history's also_fetched).
    assert ReferenceIHD.output_clusters(SimpleNamespace(stores=ReferenceIHD.stores)) == [  # type: ignore[arg-type]
        TIME,
        METERING,
        MESSAGING,
        PREPAYMENT,
        DEVICE_MANAGEMENT,
    ]
    assert ReferencePPMID.output_clusters(SimpleNamespace(stores=ReferencePPMID.stores)) == [  # type: ignore[arg-type]
        TIME,
        METERING,
        MESSAGING,
        PREPAYMENT,
        DEVICE_MANAGEMENT,
    ]


# --- nothing else branches on the class ----------------------------------------------------------

# A comparison with a member, or a hard-coded set of members intersected with what a unit stores.
BRANCH = re.compile(
    r"(?:\bis(?:\s+not)?\s|==|!=)\s*DataClass\.\w+"
    r"|\bDataClass\.\w+\s*(?:\bis\b|==|!=)"
    r"|\{\s*DataClass\.[^}]*\}\s*&"
    r"|&\s*\{\s*DataClass\."
)


def sources() -> list[Path]:
    found = [p for folder in ("harness", "tools", "testcases") for p in sorted((REPO / folder).rglob("*.py"))]
    return [p for p in found if p != REPO / "harness" / "domain.py"]


def test_no_branch_on_the_data_class_outside_the_table() -> None:
    # Cases may still pick a class (CLR-01 checks CONSUMPTION_HISTORY); they may not compare one.
    branches = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BRANCH.search(line)
    ]
    assert not branches, "branches on a data class; read harness.domain.DATA_CLASSES instead:\n" + "\n".join(branches)


def test_the_branch_pattern_catches_what_it_must() -> None:
    assert BRANCH.search("        if data_class is DataClass.TOP_UP_HISTORY:")
    assert BRANCH.search("    elif dc == DataClass.DEBT_RECOVERY and f in self.messages:")
    assert BRANCH.search("    if {DataClass.TOP_UP_HISTORY, DataClass.DEBT_RECOVERY} & stores:")
    assert BRANCH.search("    if DataClass.SUPPLIER_MESSAGES != data_class:")
    assert not BRANCH.search("    _clears(bench, profile, DataClass.CONSUMPTION_HISTORY)")
    assert not BRANCH.search("    stores = (DataClass.TOP_UP_HISTORY, DataClass.SUPPLIER_MESSAGES)")


def imported(path: Path) -> set[str]:
    tree = parse(path)
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_the_domain_imports_nothing_of_the_harness_but_zcl() -> None:
    ours = {name for name in imported(REPO / "harness" / "domain.py") if name.split(".")[0] == "harness"}
    assert ours and all(name == "harness.zcl" or name.startswith("harness.zcl.") for name in ours), ours


def test_the_simulation_does_not_import_the_esi() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in imported(path) if n.startswith("harness.esi"))
        for path in sorted((REPO / "harness" / "sim").rglob("*.py"))
    }
    assert not {path: names for path, names in offenders.items() if names}
