"""``python -m headroom_edge`` runs the command line."""

import sys

from headroom_edge.cli import main

sys.exit(main())
