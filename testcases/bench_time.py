"""Bench time per case, estimated from the profile before anything is opened.

ESTIMATES[case_id](profile) is the bench time a conforming unit holds the bench for in that
case: the fixed holds and windows the case waits out (a clearing's cleared_hold, a
retention window, a Default Response not expected, a provoked query's settle time), and,
for the soak case that takes it (SOAK_TAKER, CLR-08 in name order), the whole soak. Waits
a conforming unit ends early (a Default Response, a query after a rejoin, a clearing) count
as nothing; worst_case() counts every wait to its deadline. A case not applicable to the
profile counts 0. The figures come from the same functions the cases use (testcases/steps,
testcases/query_soak), so estimate and case cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.applicability import dual_fuel, has_control, not_applicable, provocation
from harness.catalogue import CASES
from harness.domain import DATA_CLASSES, DataClass
from harness.profile import ClearScope, ImplementationTime, Profile, QueryMethod, SecurityMode
from harness.security.certificates import parse_certificate
from harness.security.test_ca import harness_test_ca
from testcases.meter_cot import sustained_hold, sustained_hold_worst
from testcases.query_soak import soak_length
from testcases.steps import (
    clear_within,
    cleared_hold,
    eventually,
    query_deadline,
    response_timeout,
    scheduled_lead,
    settle_after_query,
    sources,
    stored,
)
from testcases.steps.facts import FUTURE_DATES, PAST_DATES

HOUR = 3600.0
# The cases that read the shared query soak (marker `soak`: skipped on hardware without --soak).
SOAK_CASES: frozenset[str] = frozenset({"CLR-08", "NEG-01", "POLL-03", "POLL-04", "POLL-07", "POLL-08"})
SOAK_TAKER = "CLR-08"  # the first of them in a run (modules run in name order): its bench time holds the soak

Estimate = Callable[[Profile], float]


def _when(applicable: Callable[[Profile], bool], estimate: Estimate) -> Estimate:
    return lambda profile: estimate(profile) if applicable(profile) else 0.0


def _cbke(profile: Profile) -> bool:
    return profile.radio.security is SecurityMode.CBKE


def _stores(profile: Profile) -> bool:
    return bool(stored(profile))


def _soak(profile: Profile) -> float:
    """The soak: its start state's clearing hold, then anchor + soak_length (the anchor
    query of a conforming unit comes at once; without controls the anchor is the start)."""
    return (cleared_hold(profile) if _stores(profile) else 0.0) + soak_length(profile)


def _retained_until_queried(profile: Profile) -> float:
    """A provoked window on a conforming unit: its query comes at once, then the settle
    time; without controls, the long path (its own query, at most observation_window)."""
    if provocation(profile) is None:
        return query_deadline(profile, None) + settle_after_query(profile)
    return settle_after_query(profile)


def _neg_04_windows(profile: Profile) -> int:
    """NEG-04's provoked windows: the other valid commands, then Cancel All Messages when the
    unit stores a class besides the supplier messages (the one class it may clear)."""
    return 1 + any(not DATA_CLASSES[dc].cancelled_by_cancel_all for dc in stored(profile))


def _queries_by_get_cot(profile: Profile) -> bool:
    return profile.behaviour.query_method is QueryMethod.GET_CHANGE_OF_TENANCY


def _on_receipt(profile: Profile) -> bool:
    return profile.behaviour.implementation_time is ImplementationTime.ON_RECEIPT


def _impl_02(profile: Profile) -> float:
    if _on_receipt(profile):
        # Pushed and learnt by query (each actioned, its clearing hold), all inside the watch
        # of the new occupier's data to `eventually` past the implementation time (an hour
        # ahead); without controls the query is the unit's own, up to observation_window.
        # The queried CoT is dated the query's deadline plus eventually and clear_within after
        # the pushed one's clearing hold (an hour ahead without a control: testcases.
        # test_06_implementation_time._leads); the watch ends clear_within past it.
        how = provocation(profile)
        settle = eventually(profile) + clear_within(profile)
        lead = query_deadline(profile, how) + settle if how is not None else float(HOUR)
        own_query = query_deadline(profile, None) if how is None else 0.0
        # First the far-future pushes (Get Change of Tenancy only), each its clearing hold.
        far = len(FUTURE_DATES) * cleared_hold(profile) if _queries_by_get_cot(profile) else 0.0
        return far + max(cleared_hold(profile) + lead + clear_within(profile), 2 * cleared_hold(profile) + own_query)
    # scheduled: retained until the due time (scheduled_lead ahead; the power cycle or rejoin
    # while it is pending inside it), then actioned after it
    return scheduled_lead(profile) + cleared_hold(profile)


def _neg_06(profile: Profile) -> float:
    """Twice: two CoTs actioned (each its clearing hold), then lower IDs and a provoked
    window; at the top, with power control, a power cycle's settle time too."""
    both = 2 * (2 * cleared_hold(profile) + _retained_until_queried(profile))
    return both + (settle_after_query(profile) if has_control(profile, "power_control") else 0.0)


def _applies(case_id: str) -> Callable[[Profile], bool]:
    return lambda profile: not_applicable(case_id, profile) is None


def _cot_trigger(profile: Profile) -> float:
    """The meter's CoT trigger (testcases/meter_cot.py): a command holds the bench up to its
    declared timeout (a DCC service request's script may well use most of it); a simulated
    one takes no bench time; an operator's has no declared time (the plan lists the step)."""
    trigger = profile.bench.cot_trigger
    return trigger.timeout.total_seconds() if trigger.by == "command" else 0.0


def _cot_push_within(profile: Profile) -> float:
    return profile.timings.cot_push_within.total_seconds()


def _spoofs(p: Profile) -> int:
    """SEC-03/04/07's spoofs: per ESI a Publish CoT, and Cancel All Messages and Display
    Message when the unit shows supplier messages (testcases.test_07b_security)."""
    return len(sources(p)) * (1 + (2 if DataClass.SUPPLIER_MESSAGES in p.stores else 0))


def _sec_answer_windows(p: Profile) -> float:
    """SEC-03/04/07's answers to the unit's own requests: per ESI one window per way the bench
    makes it query (a rejoin, a power cycle; without either its own timer, up to
    observation_window), each the settle time after the answered query; then the meters' own
    answers to its next query (testcases.test_07b_security._spoofed_answers)."""
    ways = sum(has_control(p, control) for control in ("rejoin_control", "power_control"))
    per_source = ways * settle_after_query(p) if ways else query_deadline(p, None) + settle_after_query(p)
    return len(sources(p)) * per_source + _retained_until_queried(p)


def _sec_answer_queries(p: Profile) -> int:
    """The provoked queries of SEC-03/04/07's answer windows and final query (worst_case: each
    waited to its deadline)."""
    ways = sum(has_control(p, control) for control in ("rejoin_control", "power_control"))
    return len(sources(p)) * ways + 1 if ways else 0


def _sec_05_exchanges(p: Profile) -> int:
    """SEC-05's provoked exchanges: another CA's certificate, then, when the trust centre's
    certificates are the harness test CA's (CbkeLinkSecurity.impostor_responder), one from
    that CA naming another device."""
    settings = p.radio.cbke
    if settings is None:
        return 1
    for suite in (1, 2):
        credential = settings.credential(suite)
        if credential is None:
            continue
        ca = harness_test_ca(suite)
        issuer = parse_certificate(bytes.fromhex(credential.certificate)).issuer
        if issuer != ca.issuer or bytes.fromhex(credential.ca_public_key) != ca.public_key:
            return 1
    return 2


ESTIMATES: dict[str, Estimate] = {
    "BENCH-01": lambda p: 0.0,
    "PROF-01": lambda p: 0.0,
    # DM cases: a Default Response not expected waits response_timeout per meter.
    "DM-01": lambda p: 0.0,
    "DM-02": _when(_stores, lambda p: len(sources(p)) * response_timeout(p) + cleared_hold(p)),
    "DM-03": _when(_stores, eventually),
    "DM-04": _when(_stores, cleared_hold),
    # watched as long as a look-alike CoT may take to be actioned, after the global look-alike's
    # wait for a Default Response none is required to (a malformed global frame: silence)
    "DM-05": _when(_stores, lambda p: eventually(p) + response_timeout(p)),
    "DM-06": _when(_stores, eventually),
    **{
        row.case_id: (lambda dc: lambda p: cleared_hold(p) if dc in p.stores else 0.0)(row.data_class)
        for row in DATA_CLASSES.values()
    },
    "CLR-05": _when(_stores, cleared_hold),
    "CLR-06": _when(_stores, eventually),
    "CLR-07": _when(
        lambda p: _stores(p) and has_control(p, "power_control"),
        lambda p: p.timings.poll.after_join.total_seconds() + cleared_hold(p),
    ),
    "CLR-08": _when(_stores, _soak),  # the soak's taker
    "NEG-01": lambda p: 0.0,  # reads the soak
    # A genuine CoT actioned (its clearing hold), then the provoked window.
    "NEG-02": _when(_stores, lambda p: cleared_hold(p) + _retained_until_queried(p)),
    "NEG-03": _when(_stores, lambda p: cleared_hold(p) + _retained_until_queried(p)),
    "NEG-04": _when(_stores, lambda p: _neg_04_windows(p) * _retained_until_queried(p)),
    "NEG-05": _when(
        lambda p: _stores(p) and provocation(p) is not None,
        lambda p: settle_after_query(p),
    ),
    "NEG-06": _when(_stores, _neg_06),
    "POLL-01": lambda p: 0.0,
    "POLL-02": lambda p: 0.0,
    "POLL-03": lambda p: 0.0,  # reads the soak
    "POLL-04": lambda p: 0.0,
    "POLL-05": _when(lambda p: _stores(p) and has_control(p, "power_control"), cleared_hold),
    "POLL-06": lambda p: 0.0,
    "POLL-07": lambda p: 0.0,
    "POLL-08": lambda p: 0.0,
    "IMPL-01": _when(_stores, lambda p: len(PAST_DATES) * cleared_hold(p)),  # one CoT per past date
    "IMPL-02": _when(_stores, _impl_02),
    "IMPL-03": _when(_stores, lambda p: 2 * cleared_hold(p)),
    "IMPL-04": _when(
        lambda p: _stores(p) and not _on_receipt(p), lambda p: response_timeout(p) + scheduled_lead(p) + eventually(p)
    ),
    "ROB-01": _when(_stores, eventually),
    "ROB-02": _when(_stores, lambda p: cleared_hold(p) + eventually(p)),
    "SEC-01": lambda p: 0.0,  # judged from the session's start
    "SEC-02": lambda p: 0.0,  # reads the trace
    # from each ESI in turn one spoofed CoT and each spoofed Messaging command (on a unit that
    # shows supplier messages), each watched for as long as a genuine CoT may take, then the
    # answers to its own requests; SEC-04 under two keys (the install-code key, the well-known one)
    # (SEC-03 first sends each ESI's Publish CoT to endpoint 0xFF too)
    "SEC-03": _when(
        lambda p: _cbke(p) and _stores(p),
        lambda p: (_spoofs(p) + len(sources(p))) * eventually(p) + _sec_answer_windows(p),
    ),
    "SEC-04": _when(
        lambda p: _cbke(p) and _stores(p), lambda p: 2 * (_spoofs(p) * eventually(p) + _sec_answer_windows(p))
    ),
    "SEC-07": _when(
        lambda p: _cbke(p) and _stores(p) and has_control(p, "foreign_node"),
        lambda p: _spoofs(p) * eventually(p) + _sec_answer_windows(p),
    ),
    # the provoked exchange, then poll.after_join watched for Smart Energy frames
    # SEC-05 twice when the bench can issue an impostor certificate (its CA is the harness's)
    "SEC-05": _when(_cbke, lambda p: _sec_05_exchanges(p) * p.timings.poll.after_join.total_seconds()),
    "SEC-06": _when(_cbke, lambda p: p.timings.poll.after_join.total_seconds()),
    # pushed by the GPF alone, then learnt from it alone by a provoked query: each fuel that
    # must go its clearing hold, each time
    "SCOPE-01": _when(lambda p: _stores(p) and dual_fuel(p), lambda p: 2 * len(sources(p)) * cleared_hold(p)),
    "SCOPE-02": _when(
        lambda p: _stores(p) and dual_fuel(p) and p.behaviour.clear_scope is ClearScope.FUEL,
        lambda p: len(sources(p)) * (cleared_hold(p) + eventually(p)),  # a round per meter publishing alone
    ),
    # A meter under test answers the harness's IHD at once (round trips are negligible), and a
    # conforming one pushes on receipt (ESI-05/07 end their cot_push_within wait early: counted
    # in worst_case). The shared trigger is taken by ESI-02, the first post-CoT case of a run.
    # ESI-04 holds past the next midnight and poll.max_interval after the trigger (the CoT and its
    # withholding sustained: testcases.meter_cot.sustained_until).
    "ESI-01": lambda p: 0.0,
    "ESI-02": _when(_applies("ESI-02"), _cot_trigger),
    "ESI-03": lambda p: 0.0,
    "ESI-04": _when(_applies("ESI-04"), sustained_hold),
    **{f"ESI-0{n}": (lambda p: 0.0) for n in range(5, 8)},
}


def total(profile: Profile, *, soak: bool = True) -> float:
    """The run's estimated bench time; soak=False: on hardware without --soak (soak cases skipped)."""
    return sum(f(profile) for case_id, f in ESTIMATES.items() if soak or case_id not in SOAK_CASES)


def worst_case(profile: Profile) -> dict[str, float]:
    """Per case, every wait a conforming unit may use to its deadline: a provoked query at
    its poll.after_rejoin / after_join, and a clearing at `eventually` before its hold."""
    how = provocation(profile)
    extra_query = query_deadline(profile, how) if how is not None else 0.0
    actioned = eventually(profile)  # a clearing may take its whole wait before the hold
    worst = {case_id: f(profile) for case_id, f in ESTIMATES.items()}
    for case_id in ("NEG-02", "NEG-03", "NEG-04", "NEG-05"):
        if worst[case_id]:
            worst[case_id] += extra_query + (actioned if case_id in ("NEG-02", "NEG-03") else 0.0)
    if worst["NEG-04"]:  # its second window (Cancel All Messages) provokes a query of its own
        worst["NEG-04"] += (_neg_04_windows(profile) - 1) * extra_query
    if worst["NEG-06"]:
        worst["NEG-06"] += 2 * (extra_query + 2 * actioned)
        if has_control(profile, "power_control"):  # the power cycle after the top: its start-up query
            worst["NEG-06"] += query_deadline(profile, "power cycle")
    if worst["CLR-08"]:
        worst["CLR-08"] += extra_query + actioned
    for case_id, rounds in (("SEC-03", 1), ("SEC-04", 2), ("SEC-07", 1)):  # each provoked query to its deadline
        if worst[case_id]:
            worst[case_id] += rounds * _sec_answer_queries(profile) * extra_query
    for case_id in ("SEC-05", "SEC-06"):  # each provoked exchange: a join and CBKE, up to establish_within
        if worst[case_id] and profile.radio.cbke is not None:
            exchanges = _sec_05_exchanges(profile) if case_id == "SEC-05" else 1
            worst[case_id] += exchanges * profile.radio.cbke.establish_within.total_seconds()
    for case_id in ("CLR-01", "CLR-02", "CLR-03", "CLR-04", "CLR-05", "DM-04", "POLL-05"):
        if worst.get(case_id):
            worst[case_id] += actioned
    if worst["IMPL-01"]:  # one CoT per past date, each actioned up to `eventually`
        worst["IMPL-01"] += len(PAST_DATES) * actioned
    if worst["IMPL-02"] and _on_receipt(profile) and _queries_by_get_cot(profile):  # the far-future pushes
        worst["IMPL-02"] += len(FUTURE_DATES) * actioned
    if worst["NEG-02"] and how is not None:  # the query met by NOT_FOUND before the CoT is held again
        worst["NEG-02"] += extra_query
    if worst["CLR-07"]:  # the start-up between its two power cycles
        worst["CLR-07"] += profile.timings.poll.after_join.total_seconds()
    if worst["SCOPE-01"]:  # its query round: the provoked query, then each fuel's clearing
        worst["SCOPE-01"] += extra_query + len(sources(profile)) * actioned
    # Each waits for the push until trigger done + cot_push_within (one deadline: ESI-05 may
    # use it all when no push comes, ESI-07 all of it after ESI-05 saw an early push to one
    # endpoint), so each case's worst is the whole window; their sum books it twice.
    for case_id in ("ESI-05", "ESI-07"):
        if not_applicable(case_id, profile) is None:
            worst[case_id] += _cot_push_within(profile)
    if worst["ESI-04"]:  # a 25-hour UK local day to its next midnight
        worst["ESI-04"] = sustained_hold_worst(profile)
        if has_control(profile, "power_control"):  # the meter back on the HAN after its power cycle
            worst["ESI-04"] += profile.timings.poll.after_join.total_seconds()
    return worst


if set(ESTIMATES) != set(CASES):  # a case added to the catalogue needs its estimate here
    raise RuntimeError(
        f"testcases.bench_time.ESTIMATES must name every case of harness.catalogue.CASES: "
        f"missing {sorted(set(CASES) - set(ESTIMATES))}, unknown {sorted(set(ESTIMATES) - set(CASES))}"
    )
__all__ = ["ESTIMATES", "SOAK_CASES", "SOAK_TAKER", "total", "worst_case"]
