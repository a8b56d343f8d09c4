"""``python -m harness.profile schema [PATH]``: regenerate the profile JSON Schema."""

import sys

from harness.profile.schema import main

if __name__ == "__main__":
    sys.exit(main())
