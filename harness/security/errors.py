"""What is wrong with a key, a point or a certificate: ValueErrors that say which."""

from __future__ import annotations


class CbkeError(ValueError):
    """Invalid key-establishment input; the message names the field and what is wrong."""


class InvalidPoint(CbkeError):
    """A compressed point that is malformed or not on the curve."""


class InvalidKey(CbkeError):
    """A private key of the wrong length or value."""


class InvalidCertificate(CbkeError):
    """An implicit certificate of the wrong length or layout."""


class UnsupportedSuite(CbkeError):
    """A crypto suite other than 1 (sect163k1) or 2 (sect283k1)."""
