"""Built-in fault variants: reference devices that break exactly one rule each.

A variant is named in a profile's simulation.model as "module:Class", the same mechanism a
lab uses to model its own firmware (see docs/device-models.md); every class is importable
from here ("harness.sim.variants:KeepsConsumptionHistory"). One module per catalogue
section holds its variants and their rows of the matrix (harness.sim.matrix), so a new
variant and the case that must catch it are written in one place.
"""

from __future__ import annotations

from harness.sim.variants.bench import DescriptorWithoutDmClient, NeverJoins
from harness.sim.variants.clearing import (
    ClearsTooSlowly,
    KeepsConsumptionHistory,
    KeepsDebtRecovery,
    KeepsSupplierMessages,
    KeepsTopUpHistory,
    ReappearsAfterPowerCycle,
    ShowsNothingAfterCot,
    _Keeps,
)
from harness.sim.variants.device_management import (
    AcceptsUnknownDmCommand,
    AnswersCotWithFailure,
    ClearsOnTruncatedCot,
    DeafAfterMalformed,
    DefaultResponseDespiteDdr,
    IgnoresCotWithDdr,
    NoDefaultResponseToCot,
    RejectsReservedBits,
)
from harness.sim.variants.implementation_time import (
    IgnoresCancel,
    IgnoresPastImplementationTime,
    SchedulesAlthoughOnReceipt,
    ZeroMeansNever,
)
from harness.sim.variants.no_spurious_clearing import (
    ClearsOnChangeOfSupplier,
    ClearsOnNotFound,
    ClearsOnOlderEvent,
    ClearsOnPowerCycle,
    ClearsOnResentPush,
)
from harness.sim.variants.query import (
    LearnsCotOnlyByPush,
    NoQueryAfterJoin,
    NoQueryAfterRejoin,
    QueriesByReadAttributes,
    QueriesEsmeOnly,
    QueriesEveryMinute,
    StopsPeriodicQueries,
)
from harness.sim.variants.robustness import ClearsOnUnknownPrepaymentCommand, HangsOnUnknownPrepaymentCommand

__all__ = [
    "AcceptsUnknownDmCommand",
    "AnswersCotWithFailure",
    "ClearsOnChangeOfSupplier",
    "ClearsOnNotFound",
    "ClearsOnOlderEvent",
    "ClearsOnPowerCycle",
    "ClearsOnResentPush",
    "ClearsOnTruncatedCot",
    "ClearsOnUnknownPrepaymentCommand",
    "ClearsTooSlowly",
    "DeafAfterMalformed",
    "DefaultResponseDespiteDdr",
    "DescriptorWithoutDmClient",
    "HangsOnUnknownPrepaymentCommand",
    "IgnoresCancel",
    "IgnoresCotWithDdr",
    "IgnoresPastImplementationTime",
    "KeepsConsumptionHistory",
    "KeepsDebtRecovery",
    "KeepsSupplierMessages",
    "KeepsTopUpHistory",
    "LearnsCotOnlyByPush",
    "NeverJoins",
    "NoDefaultResponseToCot",
    "NoQueryAfterJoin",
    "NoQueryAfterRejoin",
    "QueriesByReadAttributes",
    "QueriesEsmeOnly",
    "QueriesEveryMinute",
    "ReappearsAfterPowerCycle",
    "RejectsReservedBits",
    "SchedulesAlthoughOnReceipt",
    "ShowsNothingAfterCot",
    "StopsPeriodicQueries",
    "ZeroMeansNever",
    "_Keeps",
]
