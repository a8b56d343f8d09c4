"""A test certificate authority: implicit certificates (ECQV, SEC 4 3.4) issued on the host.

The harness's simulated devices and the emulated trust centre need certificates for their
own IEEE addresses, and the SEC cases need a certificate from *another* CA; the published
test certificates (../shared/vectors/cbke.md) have fixed subjects and no CA private key.
So the harness is its own test CA. The CA does both halves of ECQV (the requester's and
its own) in one step: it picks k, publishes P_U = k·G in the certificate, and gives the
subject d_U = e·k + d_CA mod n (e = AES-MMO(certificate)), so that d_U·G = e·P_U + Q_CA,
which is exactly what `harness.security.cbke.public_key_from_certificate` extracts.

Everything is deterministic (k and the serial from AES-MMO of the CA, subject and suite),
so profiles can hold the trust centre's material and runs repeat. The CA private keys
here are public by design, like the Certicom test CA's: test-only, never a product's.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from harness.security import cbke
from harness.security.certificates import SUITE1, SUITE2, parse_certificate
from harness.security.curves import curve_for_suite
from harness.security.ecqv import certificate_hash
from harness.security.kdf import mmo

# Suite 2's validity (seconds since 2000 and a 32-bit end): from 2020, never expiring.
_VALID_FROM = (0x0025_8B9F_00).to_bytes(5, "big")
_VALID_TO = b"\xff\xff\xff\xff"
_KEY_USAGE = 0x88  # key agreement, as the Certicom suite 2 test certificates carry
_PROFILE_DATA = bytes.fromhex("01091000000000000000")  # suite 1 profile attribute data, as TI's test certs


@dataclass(frozen=True, repr=False)
class Issued:
    certificate: bytes
    private_key: bytes

    def __repr__(self) -> str:
        return f"Issued({self.certificate.hex()}, <private key redacted>)"


@dataclass(frozen=True, repr=False)
class TestCa:
    name: str  # what seeds its key: a test CA is a label, not a secret
    issuer: bytes  # 8 octets in every certificate it issues
    suite: int

    @property
    def _d(self) -> int:
        curve = curve_for_suite(self.suite)
        seed = b"".join(mmo(f"{self.name}/{self.suite}/{i}".encode()) for i in range(3))
        return int.from_bytes(seed, "big") % (curve.n - 1) + 1

    @property
    def public_key(self) -> bytes:
        curve = curve_for_suite(self.suite)
        return curve.compress(curve.base_mul(self._d))

    def __repr__(self) -> str:
        return f"TestCa({self.name}, suite {self.suite}, issuer {self.issuer.hex()})"

    def issue(self, subject: bytes) -> Issued:
        """A certificate naming `subject` (8 octets, big-endian) and its private key."""
        if len(subject) != 8:
            raise ValueError(f"subject: {len(subject)} octets, an EUI-64 has 8")
        curve = curve_for_suite(self.suite)
        seed = b"".join(mmo(f"{self.name}/{self.suite}/k/{i}".encode() + subject) for i in range(3))
        k = int.from_bytes(seed, "big") % (curve.n - 1) + 1
        p_u = curve.compress(curve.base_mul(k))
        if self.suite == 1:
            certificate = p_u + subject + self.issuer + _PROFILE_DATA
            assert len(certificate) == SUITE1.length
        else:
            serial = mmo(self.name.encode() + subject)[:8]
            certificate = (
                (b"\x00" + serial + b"\x0d\x08" + self.issuer + _VALID_FROM + _VALID_TO + subject)
                + bytes([_KEY_USAGE])
                + p_u
            )
            assert len(certificate) == SUITE2.length
        e = certificate_hash(parse_certificate(certificate))
        d_u = (e * k + self._d) % curve.n
        return Issued(certificate, d_u.to_bytes(curve.scalar_octets, "big"))

    def identity(self, subject: bytes) -> cbke.Identity:
        issued = self.issue(subject)
        return cbke.Identity(issued.certificate, issued.private_key, self.public_key)


def harness_test_ca(suite: int) -> TestCa:
    """The CA of the harness's reference profiles and simulated devices."""
    return TestCa("cot-harness test CA", b"COTHTEST", suite)


def other_ca(suite: int) -> TestCa:
    """Another CA: what SEC-02 presents (a unit must refuse its certificates)."""
    return TestCa("cot-harness other CA", b"OTHER-CA", suite)


def main(argv: list[str] | None = None) -> None:
    """`python -m harness.security.test_ca SUBJECT --suite N`: a profile's radio.cbke entry."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("subject", help="EUI-64, e.g. 00:12:4b:00:1c:a1:b2:c3")
    parser.add_argument("--suite", type=int, choices=(1, 2), default=2)
    args = parser.parse_args(argv)
    ca = harness_test_ca(args.suite)
    issued = ca.issue(bytes.fromhex(args.subject.replace(":", "").replace("-", "")))
    print(f"certificate: {issued.certificate.hex()}")
    print(f"private_key: {issued.private_key.hex()}")
    print(f"ca_public_key: {ca.public_key.hex()}")


if __name__ == "__main__":
    main()
