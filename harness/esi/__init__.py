"""What the harness plays on the HAN: the emulated ESME and GPF and their tenants' data."""
