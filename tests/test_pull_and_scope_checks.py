"""The pieces the pull-path, query-method and clear-scope checks are built from.

The end-to-end proof is `cot-harness selftest` (the variants of harness/sim/variants/query.py,
implementation_time.py and clear_scope.py); these pin the rules each check is judged by.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.domain import DataClass, Fuel
from harness.esi.tenancy import make_tenant
from harness.observe.base import judge
from harness.profile import ClearScope, load_profile
from harness.sim.matrix import REFERENCES
from harness.sim.variants.clear_scope import DUAL_FUEL_SCOPE
from testcases import query_soak as query
from testcases.steps import sources_clearing_all
from testcases.test_07a_clear_scope import fuel_share

PROFILES = Path(__file__).resolve().parents[1] / "device_profiles"
PREVIOUS, NEW = make_tenant(0), make_tenant(1)


def test_the_fuel_scoped_reference_is_the_dual_fuel_reference_with_clear_scope_fuel() -> None:
    assert DUAL_FUEL_SCOPE in REFERENCES
    scoped, dual = load_profile(PROFILES / DUAL_FUEL_SCOPE), load_profile(PROFILES / "sim-dual-fuel-ihd.yaml")
    assert scoped.behaviour.clear_scope is ClearScope.FUEL and dual.behaviour.clear_scope is ClearScope.ALL
    assert scoped.esi.sources == dual.esi.sources and scoped.stores == dual.stores
    assert scoped.simulation.model == dual.simulation.model


@pytest.mark.parametrize("data_class", [DataClass.CONSUMPTION_HISTORY, DataClass.SUPPLIER_MESSAGES])
def test_a_fuel_share_is_judged_on_that_fuel_alone(data_class: DataClass) -> None:
    gas_previous, gas_new = fuel_share(PREVIOUS, Fuel.GAS), fuel_share(NEW, Fuel.GAS)
    assert gas_previous.items(data_class) == PREVIOUS.items(data_class, Fuel.GAS)
    assert not gas_previous.items(data_class, Fuel.ELECTRICITY)
    # The previous occupier's electricity data left on the display says nothing of the gas.
    shown = PREVIOUS.items(data_class, Fuel.ELECTRICITY) | NEW.items(data_class, Fuel.GAS)
    seen = judge(data_class, 0.0, shown, gas_previous, gas_new, "test")
    assert not seen.shows_previous and seen.shows_new
    electricity = judge(
        data_class, 0.0, shown, fuel_share(PREVIOUS, Fuel.ELECTRICITY), fuel_share(NEW, Fuel.ELECTRICITY), "test"
    )
    assert electricity.shows_previous and not electricity.shows_new


def test_one_meter_clears_all_under_scope_all_every_meter_under_fuel() -> None:
    assert sources_clearing_all(load_profile(PROFILES / "sim-dual-fuel-ihd.yaml")) == ["esme"]
    assert sources_clearing_all(load_profile(PROFILES / DUAL_FUEL_SCOPE)) == ["esme", "gpf"]
    assert sources_clearing_all(load_profile(PROFILES / "sim-ihd.yaml")) == ["esme"]


def _bench(queries: dict[str, list[float]]) -> SimpleNamespace:
    def meter(times: list[float]) -> SimpleNamespace:
        return SimpleNamespace(cot_queries=lambda since=0.0: [SimpleNamespace(at=t) for t in times if t >= since])

    return SimpleNamespace(meters={source: meter(times) for source, times in queries.items()})


def _scope(scope: ClearScope) -> SimpleNamespace:
    return SimpleNamespace(behaviour=SimpleNamespace(clear_scope=scope))


def test_a_cot_is_answered_by_any_meter_under_scope_all_by_every_meter_under_fuel() -> None:
    bench = _bench({"esme": [10.0, 20.0], "gpf": [15.0]})
    assert query.answered_at(bench, _scope(ClearScope.ALL), 0.0, 1) == 10.0  # type: ignore[arg-type]
    assert query.answered_at(bench, _scope(ClearScope.FUEL), 0.0, 1) == 15.0  # type: ignore[arg-type]
    # The second query: only the ESME has had one, so under fuel the GPF's is still awaited.
    assert query.answered_at(bench, _scope(ClearScope.ALL), 0.0, 2) == 20.0  # type: ignore[arg-type]
    assert query.answered_at(bench, _scope(ClearScope.FUEL), 0.0, 2) is None  # type: ignore[arg-type]
    assert query.answered_at(bench, _scope(ClearScope.ALL), 30.0, 1) is None  # type: ignore[arg-type]


def test_the_soak_names_the_state_the_meters_were_in() -> None:
    soak = query.QuerySoak(
        taken_in="CLR-08",
        start=0.0,
        provoked="rejoin",
        provoked_at=0.0,
        anchors={"esme": 1.0},
        cot_set_at=100.0,
        end=250.0,
        queries={},
        pull=None,
        pull_precondition=None,
        settled=None,
        settled_precondition=None,
        retention={},
        retention_precondition=None,
        watches={},
        at_end={},
    )
    assert soak.anchor == 1.0
    assert soak.part(99.9) == query.NOT_FOUND_PART
    assert soak.part(100.0) == query.COT_HELD_PART
