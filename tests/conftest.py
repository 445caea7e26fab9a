"""Shared by every test: fake AWS credentials, and the import paths Lambda would give the code."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_LAMBDA_FUNCTION_NAME="flattr-tests",
    POWERTOOLS_METRICS_NAMESPACE="Flattr",
    POWERTOOLS_DEV="false",
    # One process plays every container here: a giver's or owner's verdict cached by one request
    # would outlive the change the next request makes. test_clicks checks the cache itself.
    FLATTR_PEOPLE_TTL="0",
)

from local import runtime  # noqa: E402

runtime.ensure_paths()
