"""Built-in fault variants: reference devices that break exactly one rule each.

A variant is named in a profile's simulation.model as "module:Class", the same mechanism a
lab uses to model its own firmware (see docs/device-models.md); every class is importable
from here ("harness.sim.variants:KeepsConsumptionHistory"). One module per catalogue
section holds its variants and their rows of the matrix (harness.sim.matrix), so a new
variant and the case that must catch it are written in one place.
"""

from __future__ import annotations

from harness.sim.variants.bench import DescriptorWithoutDmClient, NeverJoins
from harness.sim.variants.clear_scope import ClearsEverythingAlthoughScopeFuel, ClearsOnlyGasAlthoughScopeAll
from harness.sim.variants.clearing import (
    ClearsTooSlowly,
    KeepsConsumptionHistory,
    KeepsCostHistory,
    KeepsDebtRecovery,
    KeepsProfileIntervals,
    KeepsSupplierMessages,
    KeepsTopUpHistory,
    KeepsWeeklyMonthlyHistory,
    LosesPendingEraseOnPowerCycle,
    ReappearsAfterPowerCycle,
    RefetchesElectricityOnly,
    RepaintsFromRamAtRefresh,
    ReshowsCachedMessage,
    ShowsNewOccupierJustLate,
    ShowsNothingAfterCot,
    _Keeps,
)
from harness.sim.variants.device_management import (
    AcceptsCotFromAnyEndpoint,
    AcceptsUnknownDmCommand,
    AnswersCotWithFailure,
    ClearsLateOnTruncatedCot,
    ClearsOnTruncatedCot,
    DeafAfterMalformed,
    DefaultResponseDespiteDdr,
    DefaultResponseManufacturerSpecific,
    DefaultResponseToOtherEndpoint,
    DefaultResponseWrongDirection,
    IgnoresCotWithDdr,
    NoDefaultResponseToCot,
    RejectsReservedBits,
)
from harness.sim.variants.implementation_time import (
    IgnoresCancel,
    IgnoresPastImplementationTime,
    SchedulesAlthoughOnReceipt,
    ZeroMeansNever,
    ZeroMeansNeverWhenQueried,
)
from harness.sim.variants.no_spurious_clearing import (
    ClearsOnChangeOfSupplier,
    ClearsOnNotFound,
    ClearsOnOlderEvent,
    ClearsOnPowerCycle,
    ClearsOnResentPush,
    ComparesEventIdsModulo,
    ComparesEventIdsSigned,
    KeysEventsByIdAndProvider,
    KeysEventsByIdAndTime,
)
from harness.sim.variants.query import (
    IgnoresCotFromPeriodicQuery,
    LearnsCotOnlyByPush,
    NoQueryAfterJoin,
    NoQueryAfterRejoin,
    QueriesByReadAttributes,
    QueriesEsmeOnly,
    QueriesEveryTenMinutes,
    QueriesOftenWhileNotFound,
    StopsPeriodicQueries,
    SwitchesQueryMethodWhenPolling,
)
from harness.sim.variants.robustness import (
    ClearsLateOnResentPush,
    ClearsOnUnknownPrepaymentCommand,
    HangsOnUnknownPrepaymentCommand,
)
from harness.sim.variants.security import (
    ActionsUnsecuredCot,
    KeepsInstallCodeKey,
    NeverStartsCbke,
    SendsUnsecured,
)

__all__ = [
    "AcceptsCotFromAnyEndpoint",
    "AcceptsUnknownDmCommand",
    "AnswersCotWithFailure",
    "ClearsEverythingAlthoughScopeFuel",
    "ClearsLateOnResentPush",
    "ClearsLateOnTruncatedCot",
    "ClearsOnChangeOfSupplier",
    "ClearsOnNotFound",
    "ClearsOnOlderEvent",
    "ClearsOnPowerCycle",
    "ClearsOnResentPush",
    "ClearsOnTruncatedCot",
    "ClearsOnUnknownPrepaymentCommand",
    "ClearsOnlyGasAlthoughScopeAll",
    "ClearsTooSlowly",
    "ComparesEventIdsModulo",
    "ComparesEventIdsSigned",
    "DeafAfterMalformed",
    "DefaultResponseDespiteDdr",
    "DefaultResponseManufacturerSpecific",
    "DefaultResponseToOtherEndpoint",
    "DefaultResponseWrongDirection",
    "DescriptorWithoutDmClient",
    "HangsOnUnknownPrepaymentCommand",
    "IgnoresCancel",
    "IgnoresCotFromPeriodicQuery",
    "IgnoresCotWithDdr",
    "IgnoresPastImplementationTime",
    "KeepsConsumptionHistory",
    "KeepsCostHistory",
    "KeepsProfileIntervals",
    "KeepsWeeklyMonthlyHistory",
    "KeepsDebtRecovery",
    "KeepsSupplierMessages",
    "KeepsTopUpHistory",
    "KeysEventsByIdAndProvider",
    "KeysEventsByIdAndTime",
    "LearnsCotOnlyByPush",
    "LosesPendingEraseOnPowerCycle",
    "NeverJoins",
    "NoDefaultResponseToCot",
    "NoQueryAfterJoin",
    "NoQueryAfterRejoin",
    "QueriesByReadAttributes",
    "QueriesEsmeOnly",
    "QueriesEveryTenMinutes",
    "QueriesOftenWhileNotFound",
    "ReappearsAfterPowerCycle",
    "RefetchesElectricityOnly",
    "RejectsReservedBits",
    "RepaintsFromRamAtRefresh",
    "ReshowsCachedMessage",
    "SchedulesAlthoughOnReceipt",
    "ShowsNewOccupierJustLate",
    "ShowsNothingAfterCot",
    "StopsPeriodicQueries",
    "SwitchesQueryMethodWhenPolling",
    "ZeroMeansNever",
    "ZeroMeansNeverWhenQueried",
    "_Keeps",
    "ActionsUnsecuredCot",
    "KeepsInstallCodeKey",
    "NeverStartsCbke",
    "SendsUnsecured",
]
