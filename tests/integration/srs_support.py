"""An independent reading of the Sender Rewriting Scheme as libsrs2/postsrsd write it (postsrsd
src/srs2.c): HMAC-SHA1 over the lower-cased parts, the first 4 base64 characters; the day
number in two base32 characters. Used to check kurier's addresses from the outside."""
import base64
import hashlib
import hmac
import time

TIME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def srs_hash(secret, *parts):
    digest = hmac.new(secret.encode(), b"".join(p.lower().encode() for p in parts), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()[:4]


def stamp(now=None):
    day = int(now if now is not None else time.time()) // 86400
    return TIME_CHARS[(day >> 5) & 31] + TIME_CHARS[day & 31]


def reverse_srs0(secret, address):
    """'SRS0=HHHH=TT=host=user@ours' -> 'user@host', checking hash (case-insensitively) and format."""
    local, _, _ = address.rpartition("@")
    tag, hash_, ts, host, user = local.split("=", 4)
    assert tag.upper() == "SRS0", address
    assert hash_.lower() == srs_hash(secret, ts, host, user).lower(), f"bad hash in {address}"
    assert ts.upper() == stamp(), f"timestamp {ts} is not today's {stamp()}"
    return f"{user}@{host}"


def read_secret(k):
    return (k.dir / "srs.secret").read_text().splitlines()[0]
