"""An occupier's items, remembered per (data class, fuel), are the ones worked out afresh:
for every data class, each fuel and both together, asked twice, over several occupiers."""

from __future__ import annotations

from harness.domain import DataClass, Fuel
from harness.esi.tenancy import make_tenant


def test_remembered_items_are_the_fresh_ones() -> None:
    for index in (0, 1, 7, 199):
        tenant = make_tenant(index)
        for data_class in DataClass:
            for fuel in (*Fuel, None):
                fresh = tenant.items_uncached(data_class, fuel)
                assert tenant.items(data_class, fuel) == fresh
                assert tenant.items(data_class, fuel) == fresh  # the second from memory
                assert tenant.items(data_class, fuel) is tenant.items(data_class, fuel)
        assert tenant == make_tenant(index)  # the memory is not part of the occupier


def test_served_history_and_the_metering_table_are_the_fresh_ones() -> None:
    from harness.domain import SERVED_HISTORY
    from harness.esi.servers import metering_table
    from harness.zcl.metering import HISTORY_ATTRIBUTES
    from harness.zcl.prepayment import COST_HISTORY_DELIVERED

    for index in (0, 1, 199):
        tenant = make_tenant(index)
        for fuel in Fuel:
            records = tenant.records_of(DataClass.CONSUMPTION_HISTORY, fuel)
            assert dict(tenant.readings(fuel)) == {k: v for k, v in records if k in HISTORY_ATTRIBUTES}
            assert dict(tenant.costs(fuel)) == {k: v for k, v in records if k in COST_HISTORY_DELIVERED}
            assert tenant.readings(fuel) is tenant.readings(fuel)
            remembered = metering_table(fuel, tenant.readings(fuel))
            assert metering_table(fuel, tenant.readings(fuel)) is remembered
            fresh = metering_table(fuel, dict(tenant.readings(fuel)))  # another mapping: made afresh
            assert fresh is not remembered and fresh == remembered
            assert all(remembered[attr][1] == tenant.readings(fuel).get(attr, 0) for attr in SERVED_HISTORY)
    # Another occupier's readings: its own table, never the last one's.
    other = make_tenant(5)
    assert metering_table(Fuel.GAS, other.readings(Fuel.GAS)) != metering_table(
        Fuel.GAS, make_tenant(6).readings(Fuel.GAS)
    )
