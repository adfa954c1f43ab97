"""Password hashes for the desk's users file: scrypt (stdlib), and a command that prints one for a typed password."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
import sys

from robot.desk_config import PASSWORD_HASH

# scrypt cost: about 50 ms and 16 MiB per check on the project's machine (OWASP's minimum is N=2^17 with r=8 for
# interactive logins on fast hardware; sign-ins are rare here and each costs one check)
_N, _R, _P = 2**14, 8, 1
_MAX_MEMORY = 64 << 20


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` for the users file."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAX_MEMORY, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time comparison)."""
    match = PASSWORD_HASH.fullmatch(stored)
    if match is None:
        return False
    n, r, p = (int(value) for value in match.groups())
    _, _, _, _, salt, expected = stored.split("$")
    if n > 2**20 or r > 32 or p > 16:  # a users file cannot make a sign-in cost minutes
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=n, r=r, p=p, maxmem=_MAX_MEMORY * 4,
                            dklen=32)
    return hmac.compare_digest(digest.hex(), expected)


def main() -> int:
    """`python -m robot.web.passwords [NAME ROLE [TEAM]]`: asks for a password twice, prints the users-file entry."""
    args = sys.argv[1:]
    password = getpass.getpass("Adgangskode: ")
    if len(password) < 12 or password != getpass.getpass("Gentag: "):
        print("adgangskoden skal være mindst 12 tegn og ens begge gange", file=sys.stderr)
        return 2
    if len(args) >= 2:
        print(f"[users.{args[0]}]\nrole = \"{args[1]}\"")
        if len(args) > 2:
            print(f"team = \"{args[2]}\"")
    print(f"password = \"{hash_password(password)}\"")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
