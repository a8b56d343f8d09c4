"""Verdict plumbing: what is the device's fault, and what is the bench's.

Device non-conformance is an AssertionError (Allure "failed"). Everything here is bench
trouble (Allure "broken"): the stick, the network, an observer, a precondition that never
came true. A case must never turn one into the other.
"""

from __future__ import annotations


class BenchError(Exception):
    """The bench could not run the case as written; says nothing about the device."""


class CoordinatorError(BenchError):
    """The coordinator stick did not start, or went away."""


class PreconditionNotMet(BenchError):
    """The case's starting state never came true (inconclusive, never a pass)."""


class ObserverError(BenchError):
    """The UUT's state could not be read (operator absent, command failed)."""


class FatalBenchError(BenchError):
    """The bench itself is unusable: every remaining case is blocked."""


class SimulationFault(BenchError):
    """The simulated world's own code (a device model, the air) raised: a model's bug, which
    says nothing about the conformance the simulated unit models (harness.sim.model_faults)."""
