"""A reference IHD whose model has a bug: its Publish CoT handler raises (as a lab's own model
of its firmware might). Test-only (tests/sim/test_model_faults.py)."""

from __future__ import annotations

from harness.sim.devices.ihd import ReferenceIHD


class CrashesOnPublishCot(ReferenceIHD):
    def on_publish_cot(self, frame, zcl) -> None:  # noqa: ANN001
        raise AssertionError("a model's own assert, not the unit's conduct")
