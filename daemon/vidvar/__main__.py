"""`python -m vidvar` is the same as the `vidvar` console script."""

import sys

from vidvar.cli import main

sys.exit(main())
