"""The `[smime]` section read whole: each certificate and its owner-only key opened with its passphrase, the anchors."""

from __future__ import annotations

import os
from collections.abc import Mapping

from robot.model import SmimeKeys
from robot.settings import Settings


def smime_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> SmimeKeys:
    """Every `smime.keys` entry loaded (its key decrypted with the passphrase from the environment) and every
    `smime.trust_anchors` file read; raises ConfigError naming the file and key. The keys go to the parser
    processes only; the error messages name paths and variables, never a key or passphrase. Without either, the
    cryptography library is not even imported (a tenth of the daemon's start-up)."""
    if not settings.smime.keys and not settings.smime.trust_anchors:
        return SmimeKeys()
    from robot.smime_files import read_smime_files

    return read_smime_files(settings, os.environ if environ is None else environ)
