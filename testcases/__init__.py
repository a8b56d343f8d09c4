"""The conformance suite, one module per section of the catalogue (harness.catalogue)."""
