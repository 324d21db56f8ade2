"""`python -m daemon` is the same as the `vidvar` console script."""

import sys

from daemon.cli import main

sys.exit(main())
