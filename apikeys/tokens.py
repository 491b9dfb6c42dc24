"""Generate, recognise and hash API key plaintexts.

Format: `omf_live_` + 32 random base62 characters + 6 base62 characters of CRC32 checksum,
so a leaked key can be recognised offline (as GitHub's tokens are) and typos rejected without
a lookup. Keys are high-entropy, so a keyed SHA-256 (HMAC with a server-side pepper) is the
right hash: a password hasher on every request would be far too slow.
"""

import hashlib
import hmac
import re
import secrets
import string
import zlib

from django.conf import settings

KEY_PREFIX = "omf_live_"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
DISPLAY_RANDOM_LENGTH = 8  # characters of the random part kept in clear for lookup and display
KEY_LENGTH = len(KEY_PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
_BASE62 = string.digits + string.ascii_letters
# Checked on every API request: a regex is several times faster than a loop over characters.
_WELL_FORMED = re.compile(
    rf"{re.escape(KEY_PREFIX)}([0-9A-Za-z]{{{RANDOM_LENGTH}}})([0-9A-Za-z]{{{CHECKSUM_LENGTH}}})"
)


def _base62(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(reversed(chars))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def generate_key() -> str:
    """Return a new plaintext key."""
    random_part = "".join(secrets.choice(_BASE62) for _ in range(RANDOM_LENGTH))
    return f"{KEY_PREFIX}{random_part}{_checksum(random_part)}"


def is_well_formed(plaintext: str) -> bool:
    """Tell whether a string has the shape and a valid checksum of an Omniflow key."""
    match = _WELL_FORMED.fullmatch(plaintext)
    if match is None:
        return False
    random_part, checksum = match.groups()
    return hmac.compare_digest(_checksum(random_part), checksum)


def display_prefix(plaintext: str) -> str:
    """Return the part of a key kept in clear: `omf_live_` and 8 random characters."""
    return plaintext[: len(KEY_PREFIX) + DISPLAY_RANDOM_LENGTH]


def hash_key(plaintext: str) -> str:
    """Return the keyed hash stored for a key."""
    return hmac.new(
        settings.OMNIFLOW_API_KEY_PEPPER.encode(), plaintext.encode(), hashlib.sha256
    ).hexdigest()


def keys_match(plaintext: str, stored_hash: str) -> bool:
    """Compare a presented key with a stored hash in constant time."""
    return hmac.compare_digest(hash_key(plaintext), stored_hash)
