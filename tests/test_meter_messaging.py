"""The emulated meter's Messaging pushes decode as the SE commands they claim to be, and a
reference IHD acts on them (the simulation observer sees the message go)."""

from __future__ import annotations

from harness.bench import Bench
from harness.domain import MESSAGE_KEY, DataClass
from harness.profile import load_profile
from harness.zcl import codec
from tests.suite.conftest import REPO

MESSAGING = 0x0703


def test_cancel_frames_decode() -> None:
    from harness.esi.meter import EmulatedMeter

    cancel = EmulatedMeter.cancel_message_frame(None, 0x1234, tsn=7)  # type: ignore[arg-type]
    frame = codec.decode(MESSAGING, cancel)
    assert frame.command_name == "cancel_message" and frame.fields["message_id"] == 0x1234
    everything = codec.decode(MESSAGING, EmulatedMeter.cancel_all_messages_frame(None, tsn=8))  # type: ignore[arg-type]
    assert everything.command_name == "cancel_all_messages" and everything.fields["implementation_date_time"] == 0


def test_cancel_message_removes_the_message_from_the_reference_ihd() -> None:
    bench = Bench(load_profile(REPO / "device_profiles" / "sim-ihd.yaml"))
    bench.start()
    try:
        resident, upcoming = bench.occupancy.resident, bench.occupancy.upcoming
        shown = bench.observing.require_shown(DataClass.SUPPLIER_MESSAGES, resident, upcoming)
        message_id = next(item[2] for item in shown.items if item[1] == MESSAGE_KEY)
        meter = bench.meters["esme"]
        bench.link.send("esme", MESSAGING, meter.cancel_message_frame(message_id, tsn=bench.link.next_tsn()))
        gone = bench.observing.wait_observed(
            DataClass.SUPPLIER_MESSAGES, resident, upcoming, lambda o: not o.shows_previous, 2, "message cancelled"
        )
        assert gone is not None
    finally:
        bench.stop()
