"""What counts as a secret in what the service reports about itself, and how it is hidden.

Spans and logs hold no secret by construction: no request body, no header unless named, no
SQL parameter, and code never logs a password or a token. Error reports carry more (the
request, the log lines before the error), so they pass through `scrub` before they leave.
"""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

FILTERED = "[Filtered]"
# A key or query parameter whose name holds one of these, in any case, holds a secret:
# `password`, `new_password`, `access_token`, `Authorization`, `Cookie`, `Set-Cookie`...
SECRET_NAME_PARTS = (
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "credential",
    "passwd",
    "password",
    "private_key",
    "secret",
    "session",
    "token",
)
# Keys whose string value is a URL or a query string: their secret parameters are hidden.
URL_KEYS = frozenset({"url", "query_string", "http.query"})


def is_secret(name: str) -> bool:
    """Whether a key, a header or a query parameter called `name` holds a secret."""
    lowered = name.lower().replace("-", "_")
    return any(part in lowered for part in SECRET_NAME_PARTS)


def scrub(value: Any) -> Any:
    """`value` with the values of secret keys replaced by "[Filtered]", at any depth, and the
    secret parameters of the URLs and query strings it holds hidden (the input is unchanged)."""
    if isinstance(value, dict):
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def _scrub_item(key: Any, value: Any) -> Any:
    if isinstance(key, str):
        if is_secret(key):
            return FILTERED
        if key in URL_KEYS and isinstance(value, str):
            return scrub_url(value) if key == "url" else scrub_query(value)
    return scrub(value)


def scrub_query(query: str) -> str:
    """A query string with the values of its secret parameters hidden."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if not any(is_secret(name) for name, _ in pairs):
        return query
    return urlencode([(name, FILTERED if is_secret(name) else value) for name, value in pairs])


def scrub_url(url: str) -> str:
    """A URL with the values of its secret query parameters hidden."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    return urlunsplit(parts._replace(query=scrub_query(parts.query)))
