"""`python -m mamori.cli`: the `mamori` command."""

import sys

from mamori.cli import main

sys.exit(main())
