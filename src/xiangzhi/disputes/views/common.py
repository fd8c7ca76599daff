"""Small helpers shared by the public and staff pages."""

from __future__ import annotations

from ..selectors import stage_info

__all__ = ["stage_info"]
