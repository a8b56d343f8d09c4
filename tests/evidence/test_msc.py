"""The sequence chart: a parseable standalone SVG with one arrow per frame, in order, between
the right lifelines, whatever text a device puts in its frames."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.evidence.msc import sequence_chart_svg
from harness.evidence.trace_text import describe_frame
from harness.radio.trace import Direction, FrameRecord

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SVG = "{http://www.w3.org/2000/svg}"
COORD, UUT, SE = 0x0000, 0xD549, 0x0109
T0 = 1_700_000_000.0
LIFELINES = {(COORD, 0): "coordinator ZDO", (COORD, 9): "ESME ep 9", (COORD, 10): "GPF ep 10"}
# A Display Message whose text a device (or an attacker) chose: XML specials and control bytes.
HOSTILE_MESSAGE = bytes.fromhex("09 00 00 80 4A 37 1C 00 00 00 00 00 FF FF 07 3c 26 01 1b 5d 22 27")


def vector(name: str) -> bytes:
    return bytes.fromhex((VECTORS / name).read_text())


def frame(seq: int, direction: Direction, cluster: int, payload: bytes, ep: int = 9, dt: float = 0.0) -> FrameRecord:
    harness_end, uut_end = (COORD, ep), (UUT, 0 if ep == 0 else 1)
    src, dst = (harness_end, uut_end) if direction is Direction.TX else (uut_end, harness_end)
    return FrameRecord(
        seq=seq,
        timestamp=T0 + dt,
        direction=direction,
        src_nwk=src[0],
        src_ep=src[1],
        dst_nwk=dst[0],
        dst_ep=dst[1],
        profile_id=0 if ep == 0 else SE,
        cluster_id=cluster,
        payload=payload,
    )


def trace() -> list[FrameRecord]:
    return [
        frame(11, Direction.RX, 0x0005, bytes.fromhex("01 49 d5"), ep=0),  # ZDO Active_EP_req
        frame(12, Direction.TX, 0x0708, vector("gcs09_publish_cot.hex"), dt=0.010),
        frame(13, Direction.RX, 0x0708, vector("gcs09_default_response.hex"), dt=0.012),
        frame(14, Direction.TX, 0x0703, vector("gcs07_display_message.hex"), ep=10, dt=1.5),
        frame(15, Direction.TX, 0x0703, HOSTILE_MESSAGE, ep=10, dt=1.6),
        frame(16, Direction.RX, 0x0708, b"\x01", dt=2.0),  # undecodable: truncated ZCL header
    ]


def chart(records: list[FrameRecord], title: str = "", lifelines: dict[tuple[int, int], str] = LIFELINES) -> ET.Element:
    text = sequence_chart_svg(
        records, harness_label="harness", uut_label="UUT Reference IHD", lifelines=lifelines, title=title
    )
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text)


def lifeline_x(root: ET.Element) -> dict[str, float]:
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "lifeline":
            label = group.find(f"{SVG}text/{SVG}title")
            line = group.find(f"{SVG}line")
            assert label is not None and line is not None
            found[label.text or ""] = float(line.get("x1", "nan"))
    return found


def frames(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("frame")]


def clean(text: str) -> str:
    """What XML can carry of a summary: control characters become U+FFFD."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "\ufffd", text)


def test_one_arrow_per_frame_in_order_with_its_summary_and_offset() -> None:
    records = trace()
    root = chart(records, title="DM-01 Publish CoT <ESME & GPF>")
    groups = frames(root)
    assert len(groups) == len(records)
    for group, record in zip(groups, records, strict=True):
        tooltip = group.find(f"{SVG}title")
        assert tooltip is not None and tooltip.text is not None
        assert f"#{record.seq} +{record.timestamp - T0:.3f} s" in tooltip.text
        assert clean(describe_frame(record)) in tooltip.text
        label = group.find(f"{SVG}text[2]/{SVG}title")
        assert label is not None and label.text == clean(describe_frame(record))
    title = root.find(f"{SVG}text")
    assert title is not None and title.text == "DM-01 Publish CoT <ESME & GPF>"


def test_lifelines_for_each_harness_endpoint_and_the_uut_with_arrows_between_them() -> None:
    records = trace()
    root = chart(records)
    xs = lifeline_x(root)
    assert list(xs) == ["coordinator ZDO", "ESME ep 9", "GPF ep 10", "UUT Reference IHD"]
    expected = {
        11: ("UUT Reference IHD", "coordinator ZDO"),
        12: ("ESME ep 9", "UUT Reference IHD"),
        13: ("UUT Reference IHD", "ESME ep 9"),
        14: ("GPF ep 10", "UUT Reference IHD"),
    }
    for group, record in zip(frames(root), records, strict=True):
        path = group.find(f"{SVG}path")
        assert path is not None
        x1, x2 = (float(v) for v in re.findall(r"[ML]([\d.]+),", path.get("d", "")))
        if record.seq in expected:
            src, dst = expected[record.seq]
            assert (x1, x2) == (xs[src], xs[dst]), record.seq
        assert path.get("marker-end") == ("url(#tx)" if record.direction is Direction.TX else "url(#rx)")


def test_a_long_summary_is_ellipsised_with_the_full_text_in_a_tooltip() -> None:
    records = [frame(1, Direction.TX, 0x0708, vector("gcs09_publish_cot.hex"))]
    summary = describe_frame(records[0])
    assert len(summary) > 150, "the vector's summary is long enough to need cutting"
    group = frames(chart(records))[0]
    shown = group.find(f"{SVG}text[2]")
    assert shown is not None and shown.text is not None
    assert shown.text.endswith("\u2026") and len(shown.text) < len(summary)
    assert summary.startswith(shown.text[:-1])
    tooltip = shown.find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == summary


def test_device_controlled_text_cannot_break_the_xml() -> None:
    record = frame(1, Direction.TX, 0x0703, HOSTILE_MESSAGE)
    summary = describe_frame(record)
    assert '<&\\x01\\x1b]"' in summary  # the codec already escapes the control bytes ...
    root = chart([record], title="bad \x00 title \x1b[31m")  # ... a caller's title need not
    tooltip = frames(root)[0].find(f"{SVG}text[2]/{SVG}title")
    assert tooltip is not None and tooltip.text == summary
    title = root.find(f"{SVG}text")
    assert title is not None and title.text == "bad \ufffd title \ufffd[31m"


def test_undecodable_frames_stand_out_and_broadcasts_say_so() -> None:
    undecodable = frame(1, Direction.RX, 0x0708, b"\x01")
    broadcast = FrameRecord(2, T0, Direction.TX, COORD, 0, 0xFFFD, 0, 0, 0x0036, b"\x01\x00\x01")
    groups = frames(chart([undecodable, broadcast]))
    path = groups[0].find(f"{SVG}path")
    assert path is not None and path.get("stroke") == "#b71c1c"
    text = groups[1].find(f"{SVG}text[2]/{SVG}title")
    assert text is not None and text.text is not None and text.text.startswith("[broadcast 0xFFFD]")


def test_a_named_second_node_gets_its_own_lifeline() -> None:
    other = FrameRecord(1, T0, Direction.TX, COORD, 9, 0x1234, 2, SE, 0x0708, vector("gcs09_publish_cot.hex"))
    root = chart([other, *trace()], lifelines={**LIFELINES, (0x1234, 2): "GSME 0x1234"})
    assert list(lifeline_x(root)) == ["ESME ep 9", "coordinator ZDO", "GPF ep 10", "UUT Reference IHD", "GSME 0x1234"]


def test_standalone_no_scripts_no_links_and_an_empty_trace_still_renders() -> None:
    text = sequence_chart_svg(trace(), harness_label="harness", uut_label="UUT", lifelines=LIFELINES)
    assert "<script" not in text and "href" not in text and "@import" not in text
    assert re.findall(r"https?://[^\"]+", text) == ["http://www.w3.org/2000/svg"]
    empty = ET.fromstring(sequence_chart_svg([], harness_label="harness", uut_label="UUT"))
    assert any(t.text == "(no frames)" for t in empty.iter(f"{SVG}text"))
    assert [*lifeline_x(empty)] == ["UUT"]
