"""The fault-variant matrix: which case must catch each variant of harness.sim.variants.

Declarative data read by `cot-harness selftest`, the harness's own tests and the generated
catalogue: each entry names a variant, the reference profile it runs on, the cases that
must fail on it, and the cases its fault may also reach (with the reason).
"""

from __future__ import annotations

import dataclasses

from harness.sim.devices.reference import ReferenceDevice
from harness.sim.variants import (
    AcceptsUnknownDmCommand,
    AnswersCotWithFailure,
    ClearsOnChangeOfSupplier,
    ClearsOnNotFound,
    ClearsOnOlderEvent,
    ClearsOnPowerCycle,
    ClearsOnResentPush,
    ClearsOnTruncatedCot,
    ClearsOnUnknownPrepaymentCommand,
    ClearsTooSlowly,
    DeafAfterMalformed,
    DefaultResponseDespiteDdr,
    DescriptorWithoutDmClient,
    HangsOnUnknownPrepaymentCommand,
    IgnoresCancel,
    IgnoresCotWithDdr,
    IgnoresPastImplementationTime,
    KeepsConsumptionHistory,
    KeepsDebtRecovery,
    KeepsSupplierMessages,
    KeepsTopUpHistory,
    LearnsCotOnlyByPush,
    NeverJoins,
    NoDefaultResponseToCot,
    NoQueryAfterJoin,
    NoQueryAfterRejoin,
    QueriesByReadAttributes,
    QueriesEsmeOnly,
    QueriesEveryMinute,
    ReappearsAfterPowerCycle,
    RejectsReservedBits,
    SchedulesAlthoughOnReceipt,
    ShowsNothingAfterCot,
    StopsPeriodicQueries,
    ZeroMeansNever,
)


@dataclasses.dataclass(frozen=True)
class VariantSpec:
    model: type[ReferenceDevice]
    profile: str  # the reference profile (device_profiles/) it runs on
    failed: frozenset[str]  # cases that must fail on it (Allure "failed")
    broken: frozenset[str] = frozenset()  # cases that may be inconclusive on it (and why)
    why: str = ""
    may_fail: frozenset[str] = frozenset()  # later cases its fault also reaches (and why)

    @property
    def reference(self) -> str:
        return f"{self.model.__module__}:{self.model.__qualname__}"


def _v(
    model: type[ReferenceDevice],
    profile: str,
    *failed: str,
    broken: tuple[str, ...] = (),
    may_fail: tuple[str, ...] = (),
    why: str = "",
) -> VariantSpec:
    return VariantSpec(model, profile, frozenset(failed), frozenset(broken), why, frozenset(may_fail))


IHD, PPMID, DUAL, SCHEDULED = "sim-ihd.yaml", "sim-ppmid.yaml", "sim-dual-fuel-ihd.yaml", "sim-ihd-scheduled.yaml"

MATRIX: tuple[VariantSpec, ...] = (
    _v(NeverJoins, IHD, broken=("BENCH-01",), why="a unit that never joins is a bench error; the rest are blocked"),
    _v(DescriptorWithoutDmClient, IHD, "PROF-01"),
    _v(NoDefaultResponseToCot, IHD, "DM-01"),
    _v(
        AnswersCotWithFailure,
        IHD,
        "DM-01",
        may_fail=("DM-04",),
        why="DM-04 also requires a CoT with reserved bits to be accepted (SUCCESS)",
    ),
    _v(DefaultResponseDespiteDdr, IHD, "DM-02"),
    _v(IgnoresCotWithDdr, IHD, "DM-02"),
    _v(ClearsOnTruncatedCot, IHD, "DM-03", "ROB-01"),
    _v(
        DeafAfterMalformed,
        IHD,
        "DM-03",
        may_fail=("DM-04", "ROB-01", "ROB-02"),
        why="a unit whose stack resets also loses the frames that follow, whichever case sends them",
    ),
    _v(RejectsReservedBits, IHD, "DM-04"),
    _v(AcceptsUnknownDmCommand, IHD, "DM-05"),
    _v(KeepsConsumptionHistory, IHD, "CLR-01"),
    _v(KeepsTopUpHistory, PPMID, "CLR-02"),
    _v(KeepsDebtRecovery, PPMID, "CLR-03"),
    _v(KeepsSupplierMessages, IHD, "CLR-04"),
    _v(ClearsTooSlowly, IHD, "CLR-05"),
    _v(ShowsNothingAfterCot, IHD, "CLR-06"),
    _v(ReappearsAfterPowerCycle, IHD, "CLR-07"),
    _v(ClearsOnNotFound, IHD, "NEG-01"),
    _v(ClearsOnResentPush, IHD, "NEG-02", "ROB-02"),
    _v(ClearsOnOlderEvent, IHD, "NEG-03"),
    _v(ClearsOnChangeOfSupplier, IHD, "NEG-04"),
    _v(ClearsOnPowerCycle, IHD, "NEG-05"),
    _v(NoQueryAfterJoin, IHD, "POLL-01", "POLL-05"),
    _v(NoQueryAfterRejoin, IHD, "POLL-02"),
    # POLL-01 and POLL-02 both check the declared query_method.
    _v(QueriesByReadAttributes, IHD, "POLL-01", "POLL-02"),
    _v(
        StopsPeriodicQueries,
        IHD,
        "POLL-03",
        broken=("NEG-01",),
        why="NEG-01 needs a query inside its window to exercise NOT_FOUND; a unit that stops polling gives none",
    ),
    _v(QueriesEveryMinute, IHD, "POLL-04"),
    _v(LearnsCotOnlyByPush, IHD, "POLL-05"),
    # POLL-01..03 ask each declared meter too: not asking the GPF breaks all four.
    _v(QueriesEsmeOnly, DUAL, "POLL-06", "POLL-01", "POLL-02", "POLL-03"),
    _v(IgnoresPastImplementationTime, IHD, "IMPL-01"),
    _v(SchedulesAlthoughOnReceipt, IHD, "IMPL-02"),
    _v(ZeroMeansNever, IHD, "IMPL-03"),
    _v(IgnoresCancel, SCHEDULED, "IMPL-04"),
    _v(ClearsOnUnknownPrepaymentCommand, PPMID, "ROB-01"),
    _v(
        HangsOnUnknownPrepaymentCommand,
        PPMID,
        "ROB-01",
        may_fail=("ROB-02",),
        why="a hung unit cannot action ROB-02's CoT either",
    ),
)
REFERENCES: tuple[str, ...] = (IHD, PPMID, DUAL, SCHEDULED, "sim-ihd-read-attributes.yaml")
