"""Ledger URLs for the jurisdiction walk (tests/jurisdiction.py): bundle downloads are addressed by a signed token."""

from tests.jurisdiction import token_route

token_route("ledger:bundle")
