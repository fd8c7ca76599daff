"""Registry of "an object of 崇福镇" for every parameterised URL, so one test can prove that a village mediator of
乌镇镇 gets 404 for each of them, through pages and the API (tests/core/test_jurisdiction.py).

An app registers a factory per URL name (pages: "namespace:name"; API: "METHOD /api/v1/path/{param}") that returns
the URL kwargs of an object that lies in 崇福镇, plus an optional ``_body``: a request body valid for that endpoint
(so the refusal tested is the jurisdiction's, not the schema's), or ``_multipart`` for file uploads. A parameterised URL without a factory fails that test, so a new view
cannot forget its access rule. Public routes addressed by an unguessable token are listed in TOKEN_ROUTES.
"""

from __future__ import annotations

from collections.abc import Callable

FACTORIES: dict[str, Callable[[], dict]] = {}
# Routes keyed by an unguessable token (public by design) or not addressing an object.
TOKEN_ROUTES: set[str] = set()
# Self-guarded Django admin.
IGNORED_NAMESPACES = {"admin"}


def register(*names: str):
    def decorator(factory: Callable[[], dict]) -> Callable[[], dict]:
        for name in names:
            FACTORIES[name] = factory
        return factory

    return decorator


def token_route(*names: str) -> None:
    TOKEN_ROUTES.update(names)
