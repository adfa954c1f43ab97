"""The container's health check: healthy while the robot answers /healthz as ok or degraded, unhealthy when failing.

Degraded (a register still to come, a refused rule change, a full disk ...) needs a person, not a restart: it is
shown by /healthz and the lae_health gauge for the alerting. Failing (no ledger, no worker) or no answer at all is
what the container runtime should see.
"""

import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("LAE_HEALTH_URL", "http://127.0.0.1:9187/healthz")

try:
    with urllib.request.urlopen(URL, timeout=4) as answer:
        status = json.load(answer)["status"]
except urllib.error.HTTPError as error:  # 503: degraded or failing, the body says which
    status = json.load(error)["status"]
except (OSError, ValueError, KeyError) as error:
    print(f"no answer from {URL}: {error}")
    sys.exit(1)
print(status)
sys.exit(0 if status in ("ok", "degraded") else 1)
