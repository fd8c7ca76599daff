"""What higher apps add to the network's village rows. The network sits below villages (民主法治村), so it never
imports them: an app registers a source of titles here in its ``AppConfig.ready`` and the coverage (API and staff
page) and the public village page (有法码) show them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

# ``source(codes)`` → {village code: [title, …]} for the villages of ``codes`` it knows, in one query.
TitleSource = Callable[[list[str]], dict[str, list[str]]]
_title_sources: list[TitleSource] = []


def register_title_source(source: TitleSource) -> None:
    if source not in _title_sources:
        _title_sources.append(source)


def titles_for(codes: Iterable[str]) -> dict[str, list[str]]:
    """Every registered source's titles of the villages ``codes`` (a village without any is absent)."""
    codes = list(codes)
    found: dict[str, list[str]] = {}
    if not codes:
        return found
    for source in _title_sources:
        for code, titles in source(codes).items():
            found.setdefault(code, []).extend(titles)
    return found
