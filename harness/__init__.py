"""cot-harness: the GB Change of Tenancy conformance harness."""

from harness import ast_serial as _ast_serial

_ast_serial.install()  # before any case module is rewritten (see harness/ast_serial.py)
