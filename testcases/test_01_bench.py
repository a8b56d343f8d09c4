"""Bench and declaration: BENCH-01, PROF-01."""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DATA_CLASSES, DataClass
from harness.errors import FatalBenchError
from harness.profile import Profile, SecurityMode
from harness.zcl import cluster_label, ids
from testcases.steps import attach_text

DM, METERING, MESSAGING, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.METERING, ids.MESSAGING, ids.PREPAYMENT
SE_PROFILE = ids.SE_PROFILE
SECURITY_NOTE = {
    SecurityMode.INSTALL_CODE: "install-code link key; Smart Energy CBKE is not provided by a Z-Stack coordinator",
    SecurityMode.WELL_KNOWN_LINK_KEY: "well-known link key (ZigBeeAlliance09); no CBKE",
    SecurityMode.CBKE: "install-code join, then CBKE with the harness as trust centre; Smart Energy frames "
    "APS-secured under the derived link key",
}


# Read Attributes (Basic) tries before a joined unit counts as not answering: one frame lost on
# a noisy air (a lab's, or the simulation's --air loss) is not a unit that does not answer, and
# it would end the whole run broken. A unit that never answers is still broken, after these.
PING_TRIES = 3


@case("BENCH-01")
def test_bench_01(bench: Bench, profile: Profile) -> None:
    with allure.step("The coordinator is up and the network is the configured one"):
        if bench.coordinator is None:
            raise FatalBenchError("the bench has no coordinator: the stick was never started")
        network = bench.coordinator.network_summary()
        attach_text("coordinator", "\n".join(f"{k}: {v}" for k, v in network.items()))
        wanted = {"channel": str(profile.radio.channel), "pan_id": f"0x{profile.radio.pan_id:04X}"}
        wrong = {k: (v, network[k]) for k, v in wanted.items() if network[k] != v}
        if wrong:
            raise FatalBenchError(f"the coordinator formed a different network than radio.* declares: {wrong}")
    with allure.step("Security mode recorded"):
        attach_text("security", f"radio.security = {profile.radio.security}: {SECURITY_NOTE[profile.radio.security]}")
    with allure.step(f"The unit {profile.identity.ieee} is joined and answering"):
        if bench.uut_nwk is None:
            raise FatalBenchError(f"the unit {profile.identity.ieee} is not on the network")
        answer = None
        for _ in range(PING_TRIES):
            answer = bench.link.ping()
            if answer is not None:
                break
        if answer is None:
            raise FatalBenchError(
                f"the unit {profile.identity.ieee} (NWK 0x{bench.uut_nwk:04X}) joined but does not answer "
                f"Read Attributes within response_timeout ({PING_TRIES} tries): no case could give a meaningful verdict"
            )
        attach_text(
            "unit",
            f"NWK 0x{bench.uut_nwk:04X}, endpoint {profile.identity.endpoint}, joined in "
            f"{bench.start_seconds:.3f} s of bench start-up",
        )


# A meter under test (identity.role esme or gpf) serves what the harness's IHD asks it (ESI cases).
METER_SERVER_CLUSTERS = {
    DM: "Device Management server (SECMP0056: Get Change of Tenancy, 0x0200/0x0201)",
    METERING: "Metering server (history, Get Profile)",
    MESSAGING: "Messaging server (Get Last Message)",
    PREPAYMENT: "Prepayment server (Get Top Up Log, Get Debt Repayment Log)",
}


def implied_client_clusters(profile: Profile) -> dict[int, str]:
    """What the profile's declarations imply the unit's SE endpoint has as client clusters."""
    implied = {DM: "Device Management client (SECMP0056 CoT)"}
    stores = {DataClass(dc) for dc in profile.stores}
    for spec in DATA_CLASSES.values():  # in the table's order, as the report lists them
        if spec.data_class not in stores:
            continue
        for cluster in sorted(spec.client_clusters - implied.keys()):
            # Named with every class a unit fetches on it, whichever of them it stores.
            users = " / ".join(dc for dc, other in DATA_CLASSES.items() if cluster in other.client_clusters)
            implied[cluster] = f"{cluster_label(cluster).rsplit(' (', 1)[0]} client (stores {users})"
    return implied


@case("PROF-01")
def test_prof_01(bench: Bench, profile: Profile) -> None:
    endpoint = profile.identity.endpoint
    with allure.step(
        f"Endpoint {endpoint} (identity.endpoint) is an active endpoint of the unit: its simple descriptor "
        "(from the interview)"
    ):
        ep = bench.link.descriptor(endpoint)
        attach_text(
            "descriptor",
            "none"
            if ep is None
            else f"profile 0x{ep.profile_id:04X}, device type 0x{ep.device_type:04X}, "
            f"in {sorted(f'0x{c:04X}' for c in ep.in_clusters)}, out {sorted(f'0x{c:04X}' for c in ep.out_clusters)}",
        )
        assert ep is not None, (
            f"the bench interviewed the unit; expected identity.endpoint {endpoint} among its active endpoints; "
            f"the unit has no simple descriptor on endpoint {endpoint}"
        )
    meter = profile.identity.role.is_esi
    side = "server" if meter else "client"
    with allure.step(f"The descriptor declares the Smart Energy profile and every {side} cluster the profile implies"):
        differences = []
        if ep.profile_id != SE_PROFILE:
            differences.append(f"profile is 0x{ep.profile_id:04X}, expected Smart Energy 0x{SE_PROFILE:04X}")
        implied, held = (
            (METER_SERVER_CLUSTERS, ep.in_clusters) if meter else (implied_client_clusters(profile), ep.out_clusters)
        )
        for cluster, why in implied.items():
            if cluster not in held:
                differences.append(f"missing {side} cluster 0x{cluster:04X}: {why}")
        attach_text("differences", "\n".join(differences) or "none")
        assert not differences, (
            f"the unit's simple descriptor on endpoint {endpoint} does not match its profile:\n"
            + "\n".join(differences)
        )
