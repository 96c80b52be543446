"""`python -m intents`: see intents.cli."""

from __future__ import annotations

import sys

from intents.cli import main

sys.exit(main())
