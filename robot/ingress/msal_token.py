"""Prints an OAuth2 access token for Exchange Online IMAP, got with MSAL client credentials: a token_command."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DEFAULT_SCOPE = "https://outlook.office365.com/.default"


def fetch_token(tenant: str, client_id: str, secret: str, scope: str = DEFAULT_SCOPE) -> str:
    """The access token from Microsoft Entra ID's client-credentials grant; raises RuntimeError naming the error."""
    try:
        import msal  # the optional extra: pip install 'lae-robot[msal]'
    except ImportError:
        raise RuntimeError("MSAL is not installed: pip install 'lae-robot[msal]'") from None
    app: Any = msal.ConfidentialClientApplication(
        client_id, authority=f"https://login.microsoftonline.com/{tenant}", client_credential=secret)
    result: dict[str, Any] = app.acquire_token_for_client(scopes=[scope])
    token = result.get("access_token")
    if not token:
        raise RuntimeError(f"no token: {result.get('error', 'unknown error')}: "
                           f"{str(result.get('error_description', ''))[:200]}")
    return str(token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m robot.ingress.msal_token", description=__doc__)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--secret-env", required=True, help="environment variable holding the client secret")
    parser.add_argument("--scope", default=DEFAULT_SCOPE)
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"msal_token: environment variable {args.secret_env} is not set", file=sys.stderr)
        return 2
    try:
        print(fetch_token(args.tenant, args.client_id, secret, args.scope))
    except RuntimeError as error:
        print(f"msal_token: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
