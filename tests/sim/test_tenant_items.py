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
