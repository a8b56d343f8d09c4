"""Steps the cases share: each an Allure step saying what was sent and what came back."""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.esi.meter import CotEvent
from harness.evidence.trace_text import describe_frame
from harness.radio.trace import FrameRecord
from harness.zcl import codec

DEVICE_MANAGEMENT = 0x0708
PUBLISH_COT = 0x00


def send_publish_cot(bench: Bench, source: str, event: CotEvent, **options: object) -> FrameRecord:
    endpoint = bench.meters[source].endpoint
    with allure.step(
        f"{source.upper()} (ep {endpoint}) sends Publish Change of Tenancy, "
        f"Issuer Event ID 0x{event.issuer_event_id:08X}"
    ):
        record, _frame = bench.publish_cot(source, event, **options)  # type: ignore[arg-type]
        allure.attach(describe_frame(record), name="sent", attachment_type=allure.attachment_type.TEXT)
        return record


def is_default_response_to(command_id: int, cluster_id: int):  # noqa: ANN201
    def match(record: FrameRecord) -> bool:
        if record.cluster_id != cluster_id:
            return False
        try:
            frame = codec.decode(record.cluster_id, record.payload)
        except codec.ZclDecodeError:
            return False
        return frame.command_name == "default_response" and frame.fields["command_id"] == command_id

    return match


def await_default_response(bench: Bench, sent: FrameRecord, timeout: float) -> FrameRecord | None:
    """The unit's Default Response to Publish CoT, matched by cluster and command."""
    with allure.step(f"Expect a Default Response from the unit within {timeout:g} s"):
        answer = bench.expect_from_uut(
            is_default_response_to(PUBLISH_COT, DEVICE_MANAGEMENT),
            since=sent.seq,
            timeout=timeout,
            what="Default Response to Publish Change of Tenancy",
        )
        allure.attach(
            describe_frame(answer) if answer else "nothing",
            name="received",
            attachment_type=allure.attachment_type.TEXT,
        )
        return answer
