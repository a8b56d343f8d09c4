"""Per-case evidence attached to Allure: the frame trace as text, as a pcapng capture
Wireshark dissects, and as a message sequence chart; plus the case's measurements."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import allure

from harness.catalogue import CASES
from harness.evidence import measurements
from harness.evidence.msc import sequence_chart_svg
from harness.evidence.pcapng import RunAir, pcapng_bytes, run_air
from harness.evidence.trace_text import trace_text
from harness.report.runs import RunFolder

if TYPE_CHECKING:
    from harness.bench import Bench
    from harness.radio.trace import FrameRecord

COORDINATOR_NWK = 0x0000
WHOLE_RUN_CAPTURE = "whole-run.pcapng"  # beside the cases' captures; no case ID looks like it
NO_CAPTURE = (
    "No capture: no frame crossed the air during this case (it judged frames an earlier case "
    "recorded, such as the shared query soak's, or the declared profile), so there is nothing to write."
)


# Evidence that could not be written this session, one line each (path and OS error): the
# plugin ends such a run non-zero instead of handing out a manifest that misses a capture.
_not_written: list[str] = []


def not_written() -> list[str]:
    return list(_not_written)


def record_not_written(line: str) -> None:
    """Evidence of a case that could not be attached ("where: why"): the run cannot exit 0."""
    _not_written.append(line)


def capture_dir(bench: Bench) -> Path | None:
    """In the run folder: <run>/captures, beside <run>/allure-results (harness.report.runs).
    None without --alluredir: such a run writes no evidence at all (the plugin says so)."""
    alluredir = bench.alluredir
    return RunFolder.of(alluredir).captures if alluredir else None


def lifelines(bench: Bench) -> dict[tuple[int, int], str]:
    names = {(COORDINATOR_NWK, 0): "coordinator ZDO"}
    for source in bench.profile.esi.sources:
        endpoint = getattr(bench.profile.esi.endpoints, source.value)
        names[(COORDINATOR_NWK, endpoint)] = f"{source.value.upper()} ep {endpoint}"
    return names


def uut_label(bench: Bench) -> str:
    identity = bench.profile.identity
    nwk = f" 0x{bench.uut_nwk:04X}" if bench.uut_nwk is not None else ""
    return f"UUT {identity.model}{nwk} ep {identity.endpoint}"


def begin_case() -> None:
    measurements.begin_case()


def end_case(bench: Bench, mark: int, case_id: str) -> None:
    """Attach what the case measured and every frame it exchanged."""
    measurements.end_case()
    records = bench.link.frames_since(mark)
    allure.attach(trace_text(records), name=f"{case_id} frame trace", attachment_type=allure.attachment_type.TEXT)
    allure.attach(
        sequence_chart_svg(
            records,
            harness_label="harness",
            uut_label=uut_label(bench),
            lifelines=lifelines(bench),
            title=f"{case_id} {CASES[case_id].title}",
        ),
        name=f"{case_id} sequence chart",
        attachment_type=allure.attachment_type.SVG,
    )
    folder = capture_dir(bench)
    if folder is None:
        return
    if not records:
        # An empty capture reads as a lost one: say instead that nothing crossed the air.
        allure.attach(NO_CAPTURE, name=f"{case_id} capture", attachment_type=allure.attachment_type.TEXT)
        return
    capture = folder / f"{case_id}.pcapng"
    try:
        # counters continue across the run's files
        data = _write_capture(bench, records, capture, case_id, run_air(bench, bench.link.frames_since))
    except (OSError, ValueError) as error:
        if isinstance(error, OSError):
            _not_written.append(_failed(error, capture))
        allure.attach(
            f"capture not written: {error}",
            name=f"{case_id} capture error",
            attachment_type=allure.attachment_type.TEXT,
        )
        return
    # The octets just written, attached as they are: the same attachment attach.file makes
    # of the file (name, extension, no type), without reading the capture back to copy it.
    allure.attach(data, name=f"{case_id} frames (pcapng, Wireshark)", extension="pcapng")


def write_run_capture(bench: Bench) -> Path | None:
    """Every frame of the session in one capture, captures/whole-run.pcapng: the cases'
    captures hold each case's own span, and what crossed the air between two cases (the
    unit's own queries, a log's last parts) is in none of them; here nothing is missing. Its
    numbering and air time are the cases' captures' own (both count from the session's first
    frame). Not written without a run folder or without frames; a write that fails is
    recorded (the run cannot exit 0)."""
    folder = capture_dir(bench)
    trace = getattr(bench, "session_trace", None)
    if folder is None or trace is None:
        return None
    records = trace.since(0)
    if not records:
        return None
    capture = folder / WHOLE_RUN_CAPTURE
    try:
        _write_capture(bench, records, capture, f"whole run, {len(records)} frames:", RunAir())
    except (OSError, ValueError) as error:
        _not_written.append(_failed(error, capture))
        return None
    return capture


def _write_capture(bench: Bench, records: list[FrameRecord], capture: Path, title: str, air: RunAir) -> bytes:
    """The capture of `records` written to `capture` (its folder made); the octets written."""
    data = pcapng_bytes(
        records,
        pan_id=bench.profile.radio.pan_id,
        channel=bench.profile.radio.channel,
        comment=f"{title} {bench.profile.identity_line()}",
        air=air,
    )
    capture.parent.mkdir(parents=True, exist_ok=True)
    capture.write_bytes(data)
    return data


def _failed(error: OSError | ValueError, capture: Path) -> str:
    """A not-written line: the path and the OS's reason."""
    return f"{getattr(error, 'filename', None) or capture}: {getattr(error, 'strerror', None) or error}"
