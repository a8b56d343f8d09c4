"""The Markdown table on stdout and the raw samples as JSON."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from benchmarks.limits import Limits, full_psdu_seconds
from benchmarks.stats import Figure, fmt

HEADER = (
    "| section | figure | unit | n | median | min–max | IQR | goal | physical limit | note |",
    "|---|---|---|---|---|---|---|---|---|---|",
)


def row(figure: Figure) -> str:
    s = figure.summary()
    spread = f"{fmt(s['min'])}–{fmt(s['max'])}" if s["min"] is not None else "—"
    iqr = f"{fmt(s['q1'])}–{fmt(s['q3'])}" if s["q1"] is not None else "—"
    cells = (
        figure.section,
        figure.name,
        figure.unit,
        str(len(figure.samples)),
        fmt(s["median"]),
        spread,
        iqr,
        figure.goal,
        figure.limit,
        figure.note,
    )
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def table(figures: list[Figure]) -> str:
    return "\n".join([*HEADER, *(row(f) for f in figures)])


def limits_text(limits: Limits) -> str:
    return "\n".join(
        [
            "Physical limits (benchmarks/limits.py states the assumptions):",
            f"- full PSDU: 127 + 6 octets at 250 kbit/s = {full_psdu_seconds() * 1e3:.3f} ms",
            f"- Publish CoT: ZCL {limits.zcl_cot} octets; MPDU {limits.mpdu_cot_capture} octets as the capture "
            f"reconstructs it, {limits.mpdu_cot_secured} secured (NWK + APS) = {limits.air_cot_s * 1e3:.3f} ms on air",
            f"- Default Response: ZCL {limits.zcl_answer} octets, MPDU {limits.mpdu_answer_secured} secured; "
            f"round trip on air with MAC acks {limits.air_round_trip_s * 1e3:.3f} ms",
            f"- UART 115200 baud, 10 bits/octet: AF.DataRequestExt {limits.mt_request} octets "
            f"({limits.uart_request_s * 1e3:.3f} ms), SRSP {limits.mt_srsp}, AF.DataConfirm {limits.mt_confirm}, "
            f"AF.IncomingMsg {limits.mt_incoming}: {limits.uart_round_trip_s * 1e3:.3f} ms per round trip",
            f"- round trip floor, UART then air: {limits.round_trip_floor_s * 1e3:.3f} ms",
        ]
    )


def write_json(path: Path, figures: list[Figure], limits: Limits, context: dict[str, object]) -> None:
    data = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()} | context,
        "limits": limits.as_json(),
        "figures": [f.as_json() for f in figures],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
