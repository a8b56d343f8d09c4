"""Root conftest: deliberately thin.

The pytest plugin (harness.plugin) is registered through the `pytest11` entry point of
the installed distribution, so the conformance suite (testcases/) and the harness's own
tests (tests/) run the same plugin code a lab's installed copy runs.
"""
