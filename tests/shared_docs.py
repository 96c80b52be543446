"""Where the documents beside the repo live: `../shared/` (ServiceTitan's OpenAPI, Slack's manifest schema).

CI clones the repo with shared/ beside it; ST_SHARED_DIR overrides that for other layouts.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("ST_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
OPENAPI_DIR = SHARED / "servicetitan" / "openapi"
SLACK_MANIFEST_SCHEMA = SHARED / "slack" / "manifest.schema.1.0.0.json"
