"""Evidence files a conformance run leaves behind (captures, reports)."""

from harness.evidence.pcapng import pcapng_bytes, write_pcapng

__all__ = ["pcapng_bytes", "write_pcapng"]
