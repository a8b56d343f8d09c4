"""Figures measured inside this process: bench start/stop, the Publish CoT round trip
through the emulated stick, and the harness's own cost per frame."""

from __future__ import annotations

import dataclasses
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from benchmarks.limits import Limits, cot_record, publish_cot_payload
from benchmarks.stats import Figure
from harness.evidence.pcapng import write_pcapng
from harness.radio.trace import FrameTrace
from harness.zcl import codec, ids

REPO = Path(__file__).resolve().parent.parent
SIM_IHD = REPO / "device_profiles" / "sim-ihd.yaml"
CAPTURE_RECORDS = 1000  # records per write_pcapng call: a long case's trace

# The frame-cost rows, in the order printed (tests/test_benchmarks.py checks each is there).
FRAME_ROWS = ("ZCL encode", "ZCL decode", "tap", "capture")


def _ms(limit_s: float) -> str:
    return f"{limit_s * 1e3:.3f} ms"


def bench_start(repeat: int) -> list[Figure]:
    """Bench(profile).start() to the unit joined, and stop(), each a fresh bench."""
    from harness.bench import Bench
    from harness.profile import load_profile

    profile = load_profile(SIM_IHD)
    start = Figure(
        "bench",
        "Bench.start() to the unit joined (wall)",
        "s",
        goal="as fast as it goes (once per run)",
        limit="— (a real join takes seconds of air and key exchange)",
    )
    joined = Figure(
        "bench",
        "permit-join to joined (virtual bench time)",
        "s",
        goal=f"≤ timings.poll.after_join ({profile.timings.poll.after_join})",
    )
    stop = Figure("bench", "Bench.stop() (wall)", "s", goal="as fast as it goes")
    for _ in range(repeat):
        bench = Bench(profile)
        began = time.perf_counter()
        try:
            bench.start()
            start.samples.append(time.perf_counter() - began)
            joined.samples.append(bench.loop.now() - bench.join_opened_at)
        finally:
            began = time.perf_counter()
            bench.stop()
            stop.samples.append(time.perf_counter() - began)
    return [start, joined, stop]


def publish_round_trip(repeat: int, rounds: int, limits: Limits) -> list[Figure]:
    """Publish CoT to its Default Response through the emulated stick, as a case sends it
    (bench.link.publish_cot, then bench.link.expect_answer: same cluster, TSN echoed).

    One CoT event, published again each round: a repeated Publish CoT still wants its
    Default Response, and the unit's data stays as it is between rounds."""
    from harness.bench import Bench
    from harness.profile import load_profile

    profile = load_profile(SIM_IHD)
    source = profile.esi.sources[0].value
    wall = Figure(
        "link",
        "Publish CoT → Default Response (wall, per round trip)",
        "ms",
        goal="≪ timings.response_timeout; as fast as it goes",
        limit=f"{_ms(limits.round_trip_floor_s)} (UART {_ms(limits.uart_round_trip_s)} + air "
        f"{_ms(limits.air_round_trip_s)})",
    )
    virtual = Figure(
        "link",
        "Publish CoT → Default Response (virtual bench time)",
        "ms",
        goal=f"≤ timings.response_timeout ({profile.timings.response_timeout})",
        limit=wall.limit,
    )
    missed = 0
    for _ in range(repeat):
        bench = Bench(profile)
        try:
            bench.start()
            event = bench.occupancy.cot_event()
            for _ in range(rounds):
                began = time.perf_counter()
                sent = bench.link.publish_cot(source, event)
                answer = bench.link.expect_answer(sent, "the Default Response to Publish CoT")
                elapsed = time.perf_counter() - began
                if answer is None:
                    missed += 1
                    continue
                wall.samples.append(elapsed * 1e3)
                virtual.samples.append((answer.timestamp - sent.timestamp) * 1e3)
        finally:
            bench.stop()
    if missed:
        wall.note = f"{missed} round(s) unanswered, left out"
    return [wall, virtual]


def _per_call_us(fn: Callable[[], object], repeat: int, per: int = 1) -> list[float]:
    """timeit-style: loops sized to take ~0.2 s each (timeit's autorange), `repeat` of them;
    microseconds per call, divided by `per` when one call handles `per` frames."""
    timer = timeit.Timer(fn)
    loops, _ = timer.autorange()
    return [total / loops / per * 1e6 for total in timer.repeat(repeat=repeat, number=loops)]


TAP_LOOPS = 20_000  # appends per sample: a trace of a long run, without growing without end


def _tap_us(fields: dict[str, object], repeat: int) -> list[float]:
    """FrameTrace.append per record, a fresh trace for each sample (the trace only grows,
    and a list of millions of records would measure the allocator, not the tap)."""
    samples = []
    for _ in range(repeat):
        trace = FrameTrace()
        began = time.perf_counter()
        for _ in range(TAP_LOOPS):
            trace.append(**fields)
        samples.append((time.perf_counter() - began) / TAP_LOOPS * 1e6)
    return samples


def frame_costs(repeat: int, limits: Limits) -> list[Figure]:
    """The harness's own work per frame: encode, decode, tap (trace record), capture."""
    payload = publish_cot_payload()
    record = cot_record()
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name != "seq"}
    air = f"{limits.air_cot_s * 1e6:.0f} µs on air, {limits.uart_request_s * 1e6:.0f} µs on the UART"
    goal = "≪ the frame's air time"

    def encode() -> bytes:
        return codec.build(
            ids.DEVICE_MANAGEMENT,
            "publish_change_of_tenancy",
            tsn=0x14,
            provider_id=0,
            issuer_event_id=0x0032A16B,
            tariff_type=0,
            implementation_date_time=0x0032A16B,
            proposed_tenancy_change_control=0x200,
        )

    def decode() -> object:
        # The first decode of a frame: codec.decode remembers the frames it decoded, and the
        # same 20 octets again would measure that memory, not the decoding.
        return codec.decode_uncached(ids.DEVICE_MANAGEMENT, payload)

    records = [dataclasses.replace(record, seq=n, timestamp=record.timestamp + n) for n in range(CAPTURE_RECORDS)]
    with tempfile.TemporaryDirectory(prefix="cot-bench-pcapng-") as folder:
        path = Path(folder) / "trace.pcapng"

        def capture() -> object:
            return write_pcapng(records, path, pan_id=0x1A62, channel=15)

        capture_us = _per_call_us(capture, repeat, per=CAPTURE_RECORDS)
    tap_us = _tap_us(fields, repeat)
    return [
        Figure("frame", "ZCL encode", "µs", _per_call_us(encode, repeat), goal, air, "codec.build of a Publish CoT"),
        Figure(
            "frame",
            "ZCL decode",
            "µs",
            _per_call_us(decode, repeat),
            goal,
            air,
            "codec.decode of a Publish CoT (its first decode)",
        ),
        Figure("frame", "tap", "µs", tap_us, goal, air, "FrameTrace.append of the CoT's record"),
        Figure(
            "frame",
            "capture",
            "µs",
            capture_us,
            goal,
            air,
            f"write_pcapng of {CAPTURE_RECORDS} records, per frame",
        ),
    ]
