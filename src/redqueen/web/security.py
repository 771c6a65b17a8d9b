"""The safety rules of ``redqueen serve``, as plain functions the HTTP layer applies.

- **Where it listens.** The default address is 127.0.0.1. Any other address needs a
  token (:func:`check_binding`), and then every request must carry it: an
  ``Authorization: Bearer TOKEN`` or ``X-Redqueen-Token`` header, the ``rq_token``
  cookie, or ``?token=TOKEN`` once (the server then sets the cookie). Tokens are compared
  in constant time.
- **Who is who.** Each browser gets a random participant id in an HTTP-only,
  ``SameSite=Strict`` cookie. A match in progress belongs to the participant who started
  it; a move for it from anyone else is refused, so nobody's moves can be written into
  another person's match.
- **Cross-site requests.** Every request that changes state is a POST that must carry
  the participant's form token, an HMAC of the participant id under a secret made when
  the server starts (:func:`form_token`), and, when the browser sends an ``Origin``
  header, come from the server's own origin. A page of another site can neither read the
  form token nor send the cookie (``SameSite=Strict``).
- **Nothing is run.** No request is evaluated or executed: game parameters are read as
  YAML scalars and lists (``safe_load``), agent specs by the agent registry, both
  validated as on the command line. Agent parameters that name files (a policy's ``path``,
  an LLM agent's ``cache``, a local model) must lie inside the directories the server was
  given (:func:`check_agent_params`), and an LLM agent may only read an environment
  variable whose name ends in ``API_KEY``.
- **LLM opponents cost money.** Their moves are rate-limited per participant
  (:class:`RateLimiter`, a sliding window of one minute).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from redqueen.errors import InvalidParameterError

LOOPBACK_NAMES = ("localhost",)
PATH_PARAMETERS = ("path", "cache", "checkpoint", "file", "dir", "directory")
"""Agent parameters whose string values name files; they must stay inside the served
directories."""
API_KEY_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*API_KEY$")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
"""A participant's name (seats are recorded as ``human:<name>``)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen anywhere but on loopback without a token."""
    if token is not None and len(token) < 8:
        raise InvalidParameterError("--token must have at least 8 characters")
    if not is_loopback(host) and token is None:
        raise InvalidParameterError(
            f"--host {host} listens beyond this machine: give --token TOKEN (every request "
            "must then carry it), or keep the default --host 127.0.0.1"
        )


def token_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def request_token(
    headers: Mapping[str, str], cookies: Mapping[str, str], query: Mapping[str, str]
) -> str | None:
    """The token a request carries, wherever it carries it (see the module docstring)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get("x-redqueen-token") or cookies.get("rq_token") or query.get("token")


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def new_participant_id() -> str:
    return secrets.token_urlsafe(18)


def form_token(secret: bytes, participant: str) -> str:
    """The token every state-changing form of ``participant`` carries."""
    return hmac.new(secret, participant.encode(), hashlib.sha256).hexdigest()


def form_token_ok(secret: bytes, participant: str | None, given: str | None) -> bool:
    if not participant or not given:
        return False
    return hmac.compare_digest(form_token(secret, participant), given)


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether an ``Origin`` header (absent: nothing to compare) names this server."""
    if origin is None:
        return True
    if origin == "null" or host is None:
        return False
    return origin.split("://", 1)[-1].rstrip("/") == host


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise InvalidParameterError(
            f"name {name!r}: use 1 to 32 letters, digits, '_', '.' or '-' (your seat is "
            "recorded as human:<name>)"
        )
    return name


def check_agent_params(params: Mapping[str, Any], roots: Iterable[Path]) -> None:
    """Refuse agent parameters that would reach outside the served directories: files
    outside ``roots`` and environment variables that are not API keys."""
    allowed = [Path(r).resolve() for r in roots]
    paths = (
        (*PATH_PARAMETERS, "model") if params.get("backend") == "transformers" else PATH_PARAMETERS
    )
    for key, value in params.items():
        if key in paths and isinstance(value, str):
            target = Path(value).resolve()
            if not any(target == root or root in target.parents for root in allowed):
                where = ", ".join(str(r) for r in allowed) or "(none)"
                raise InvalidParameterError(
                    f"agent parameter {key}={value!r} is outside the directories this server "
                    f"may read: {where}"
                )
        if key == "api_key_env" and value is not None and not API_KEY_ENV.match(str(value)):
            raise InvalidParameterError(
                f"agent parameter api_key_env={value!r}: only a variable whose name ends in "
                "API_KEY (such as OPENAI_API_KEY) may be read, or null"
            )


class RateLimiter:
    """At most ``limit`` events per participant in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit < 1:
            raise InvalidParameterError(f"a rate limit must be at least 1, got {limit}")
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}

    def _recent(self, who: str, now: float) -> deque[float]:
        events = self._events.setdefault(who, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def allows(self, who: str, now: float | None = None) -> bool:
        """Whether ``who`` is under the limit now."""
        return len(self._recent(who, time.monotonic() if now is None else now)) < self.limit

    def record(self, who: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._recent(who, now).append(now)

    def wait_seconds(self, who: str, now: float | None = None) -> float:
        """How long until ``who`` is under the limit again (0 if it is now)."""
        now = time.monotonic() if now is None else now
        events = self._recent(who, now)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[len(events) - self.limit] + self.window - now)
