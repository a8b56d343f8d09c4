"""Benchmarks of the harness: `python -m benchmarks` (docs/performance.md says what each figure means).

Measured side by side in one run, each figure repeated and reported as a median with its
spread, beside its goal (issue 11) and the physical limit where one exists (250 kbit/s on
air, 115200 baud on the stick's UART). Nothing in tests/ depends on these figures.
"""
