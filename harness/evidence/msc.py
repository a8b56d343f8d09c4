"""A case's frame trace as a message sequence chart: one standalone SVG file.

Assessors read a CoT exchange faster as arrows between lifelines than as a text trace, and an
SVG attaches to Allure like any image. The file is self-contained on purpose (no scripts, fonts,
stylesheets or links), so it renders the same offline, in a browser, in Allure and in a PDF.

Lifelines: one per harness endpoint (ESME ep 9, GPF ep 10, coordinator ZDO, ...) and one for
the unit under test. The harness side of a frame is its source when the coordinator sent it (TX)
and its destination when it arrived (RX); the other side is the UUT, unless the caller named
that (nwk, endpoint) in `lifelines`, which gives it a lifeline of its own (a second node).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.evidence.trace_text import describe_frame
from harness.radio.trace import Direction, FrameRecord

__all__ = ["sequence_chart_svg"]

Endpoint = tuple[int, int]  # (NWK address, endpoint)

# Layout, in px. Monospace text so that a label's width is predictable without font metrics.
CHAR_W = 7.0  # advance of one 11.5 px monospace character, rounded up
MARGIN = 16
TIME_COL = 150  # the "#seq +t s" column on the left
LIFELINE_GAP = 520  # room for about 70 characters of summary between neighbouring lifelines
HEAD_H = 34  # lifeline header box
ROW_H = 30
TITLE_H = 26
MIN_LABEL_CHARS = 24
MIN_EDGE = 60  # room beside an outer lifeline, at least a self-loop's width
NWK_BROADCAST_MIN = 0xFFF8

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text safe in XML character data and in double-quoted attributes.

    XML 1.0 forbids most control characters even as character references, and a device
    controls the strings that end up in summaries (message text), so they are replaced rather
    than escaped: a chart that does not parse is no evidence at all.
    """
    text = _NOT_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _box_width(label: str) -> float:
    return min(LIFELINE_GAP - 20, len(label) * CHAR_W + 16)


def _ellipsis(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True)
class _Arrow:
    record: FrameRecord
    src: int  # lifeline column
    dst: int
    summary: str


class _Lifelines:
    """Columns in first-seen order, harness endpoints left of the UUT."""

    def __init__(self, harness_label: str, uut_label: str, named: dict[Endpoint, str]) -> None:
        self._harness_label = harness_label
        self._named = named
        self.harness: list[tuple[Endpoint, str]] = []
        self.others: list[tuple[Endpoint | None, str]] = [(None, uut_label)]  # None: the UUT

    def _harness_label_for(self, ep: Endpoint) -> str:
        if ep in self._named:
            return self._named[ep]
        return f"{self._harness_label} ZDO" if ep[1] == 0 else f"{self._harness_label} ep {ep[1]}"

    def harness_column(self, ep: Endpoint) -> int:
        keys = [key for key, _ in self.harness]
        if ep not in keys:
            self.harness.append((ep, self._harness_label_for(ep)))
            keys.append(ep)
        return keys.index(ep)

    def remote_column(self, ep: Endpoint) -> int:
        """Offset among the non-harness lifelines (0 = the UUT)."""
        if ep not in self._named:
            return 0
        keys = [key for key, _ in self.others]
        if ep not in keys:
            self.others.append((ep, self._named[ep]))
            keys.append(ep)
        return keys.index(ep)

    def labels(self) -> list[str]:
        return [label for _, label in self.harness] + [label for _, label in self.others]


def _arrows(records: Sequence[FrameRecord], lines: _Lifelines) -> list[_Arrow]:
    placed: list[tuple[FrameRecord, int, int, str]] = []
    for record in records:
        src: Endpoint = (record.src_nwk, record.src_ep)
        dst: Endpoint = (record.dst_nwk, record.dst_ep)
        summary = describe_frame(record)
        if record.dst_nwk >= NWK_BROADCAST_MIN:
            summary = f"[broadcast 0x{record.dst_nwk:04X}] {summary}"
        if record.direction is Direction.TX:
            placed.append((record, lines.harness_column(src), -1 - lines.remote_column(dst), summary))
        else:
            placed.append((record, -1 - lines.remote_column(src), lines.harness_column(dst), summary))
    # Remote columns are numbered -1, -2, ... until every harness lifeline is known.
    n = len(lines.harness)
    return [
        _Arrow(record, s if s >= 0 else n - 1 - s, d if d >= 0 else n - 1 - d, summary)
        for record, s, d, summary in placed
    ]


def sequence_chart_svg(
    records: Sequence[FrameRecord],
    *,
    harness_label: str,
    uut_label: str,
    lifelines: dict[tuple[int, int], str] | None = None,
    title: str = "",
) -> str:
    """The records, in order, as arrows between lifelines, each with its decoded summary and
    its time offset from the first record; an ellipsised summary keeps its full text in a
    <title> tooltip."""
    lines = _Lifelines(harness_label, uut_label, dict(lifelines or {}))
    arrows = _arrows(records, lines)
    labels = lines.labels()
    # Summaries are written rightwards from an arrow's left end, so the outer lifelines only
    # need room for half their header box (and a self-loop on the right).
    left = MARGIN + TIME_COL + max(MIN_EDGE, _box_width(labels[0]) / 2)
    xs = [left + i * LIFELINE_GAP for i in range(len(labels))]
    width = int(xs[-1] + max(MIN_EDGE, _box_width(labels[-1]) / 2) + MARGIN)
    top = MARGIN + (TITLE_H if title else 0)
    first_row = top + HEAD_H + ROW_H
    height = int(first_row + max(len(arrows), 1) * ROW_H + MARGIN)

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11.5">',
        "<defs>"
        '<marker id="tx" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f4e96"/></marker>'
        '<marker id="rx" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2e7d32"/></marker>'
        "</defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(f'<text x="{MARGIN}" y="{MARGIN + 14}" font-size="14" font-weight="bold">{_xml(title)}</text>')
    bottom = height - MARGIN
    for x, label in zip(xs, labels, strict=True):
        box_w = _box_width(label)
        out.append(
            f'<g class="lifeline"><rect x="{x - box_w / 2:.1f}" y="{top}" width="{box_w:.1f}" '
            f'height="{HEAD_H - 8}" rx="4" fill="#eef2f7" stroke="#44546a"/>'
            f'<text x="{x:.1f}" y="{top + 17}" text-anchor="middle" font-weight="bold">'
            f"{_xml(_ellipsis(label, int((box_w - 16) / CHAR_W)))}<title>{_xml(label)}</title></text>"
            f'<line x1="{x:.1f}" y1="{top + HEAD_H - 8}" x2="{x:.1f}" y2="{bottom}" '
            'stroke="#8a96a8" stroke-dasharray="4 4"/></g>'
        )
    if not arrows:
        out.append(f'<text x="{MARGIN}" y="{first_row}" fill="#555555">(no frames)</text>')
    t0 = arrows[0].record.timestamp if arrows else 0.0
    for row, arrow in enumerate(arrows):
        out.append(_arrow_svg(arrow, xs, first_row + row * ROW_H, t0))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _arrow_svg(arrow: _Arrow, xs: list[float], y: float, t0: float) -> str:
    record = arrow.record
    tx = record.direction is Direction.TX
    colour = "#1f4e96" if tx else "#2e7d32"
    if arrow.summary.startswith("undecodable") or "] undecodable" in arrow.summary:
        colour = "#b71c1c"  # a frame the codec could not read is the first thing to look at
    x1, x2 = xs[arrow.src], xs[arrow.dst]
    left = min(x1, x2)
    span = abs(x2 - x1)
    limit = max(MIN_LABEL_CHARS, int((span - 12) / CHAR_W))
    stamp = f"#{record.seq} +{record.timestamp - t0:.3f} s"  # digits and "#+. s": nothing to escape
    # _xml works character by character, so the summary is escaped once for the tooltip, the
    # label and the frame's full line (its prefix escaped apart).
    summary = _xml(arrow.summary)
    shown = summary if len(arrow.summary) <= limit else _xml(_ellipsis(arrow.summary, limit))
    full = (
        _xml(
            f"{stamp} {record.direction.upper()} 0x{record.src_nwk:04X}/{record.src_ep} -> "
            f"0x{record.dst_nwk:04X}/{record.dst_ep} cluster 0x{record.cluster_id:04X}: "
        )
        + summary
    )
    if x1 == x2:  # both ends on one lifeline: a small loop to the right
        path = f"M{x1:.1f},{y} h40 v10 h-40"
    else:
        path = f"M{x1:.1f},{y} L{x2:.1f},{y}"
    return (
        f'<g class="frame {record.direction}"><title>{full}</title>'
        f'<text x="{MARGIN}" y="{y + 4}" fill="#555555">{stamp}</text>'
        f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.4" '
        f'marker-end="url(#{"tx" if tx else "rx"})"/>'
        f'<text x="{left + 6:.1f}" y="{y - 5}" fill="{colour}">{shown}'
        f"<title>{summary}</title></text></g>"
    )
