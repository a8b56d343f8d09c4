"""Conformance cases run through the cot-harness pytest plugin (registered by entry point)."""
