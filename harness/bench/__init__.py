"""The bench: one coordinator, one network, the unit under test joined once per session.

`Bench` is the composition root; each collaborator is its own module with a declared
interface: the HAN facade (han.py), the loop (loop.py), the link to the unit
(link.py), observing (observing.py), the bench controls (controls.py) and, in esi/, the
meters and the occupiers (harness.esi.occupancy).
"""

from harness.bench.root import Bench

__all__ = ["Bench"]
