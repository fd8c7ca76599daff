"""Access rules for views. Every URL pattern's view carries an ``access_rule``; the middleware refuses any that
does not (deny by default), and a test walks every pattern to check it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from . import rules


def _mark(view: Callable, rule: str) -> Callable:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def public(view: Callable) -> Callable:
    """Anyone may open this view (villagers, scanned QR codes). Say so explicitly."""
    return _mark(view, "public")


def open_before_second_factor(view: Callable) -> Callable:
    """A view a session may open before its required TOTP code is verified (enrolment, sign-in, sign-out); every
    other view is closed to such a session by ``SecondFactorMiddleware``."""
    view.open_before_second_factor = True  # type: ignore[attr-defined]
    return view


def staff_required(*roles: str) -> Callable[[Callable], Callable]:
    """A signed-in staff member (with one of ``roles`` if given). Anonymous → login; others → 404."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not rules.is_staff_member(request.user):
                raise Http404
            if roles and not rules.has_role(request.user, roles):
                raise Http404
            return view(request, *args, **kwargs)

        return _mark(wrapper, "staff:" + ",".join(roles) if roles else "staff")

    return decorator


def predicate_required(predicate: Callable, name: str) -> Callable[[Callable], Callable]:
    """A signed-in user for whom ``predicate(user)`` holds; anonymous → login; others → 404."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return _mark(wrapper, f"predicate:{name}")

    return decorator


def citizen_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
        if not rules.is_citizen(request.user):
            from django.shortcuts import redirect
            from django.urls import reverse

            return redirect(f"{reverse('web:citizen_login')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return _mark(wrapper, "citizen")


def authenticated(view: Callable) -> Callable:
    """Any signed-in user (staff or citizen): the view itself scopes what it shows to that user."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _mark(wrapper, "authenticated")


def roles_text(roles: Iterable[str]) -> str:
    return ",".join(sorted(roles))
