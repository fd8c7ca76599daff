"""A property of the books under random transfers (a few hundred per run): every transfer either posts or is
refused exactly when a model of the balances says so; afterwards Σ of all movements is 0, every cached balance is
the Σ of its movements, none is below its minimum, and ``verify_books`` finds nothing."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.timebank.enums import TransferKind
from xiangzhi.timebank.models import Account, Movement
from xiangzhi.timebank.services.books import issuance_account, open_account, post_transfer, verify_books

pytestmark = pytest.mark.django_db

ACCOUNTS = 5  # index 0 is the issuance account
ops = st.lists(st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1),
                         st.one_of(st.integers(1, 150), st.sampled_from([0, -7]))), min_size=4, max_size=20)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minimums=st.lists(st.sampled_from([0, 0, -30]), min_size=ACCOUNTS - 1, max_size=ACCOUNTS - 1), ops=ops)
def test_random_transfers_keep_the_books_balanced(db, minimums, ops):
    accounts = [issuance_account()] + [open_account(f"P{i}", min_balance=m) for i, m in enumerate(minimums)]
    model = {a.pk: a.balance for a in accounts}
    floor = {a.pk: a.min_balance for a in accounts}
    for src, dst, amount in ops:
        payer, payee = accounts[src], accounts[dst]
        allowed = amount > 0 and src != dst and (floor[payer.pk] is None
                                                 or model[payer.pk] - amount >= floor[payer.pk])
        try:
            post_transfer(TransferKind.DONATION, from_account=payer, to_account=payee, amount=amount, actor=None)
            posted = True
        except (ValidationFailed, Conflict):
            posted = False
        assert posted == allowed
        if posted:
            model[payer.pk] -= amount
            model[payee.pk] += amount
    assert (Movement.objects.aggregate(s=Sum("amount"))["s"] or 0) == 0
    sums = dict(Movement.objects.values_list("account_id").annotate(s=Sum("amount")).order_by())
    for acc in Account.objects.filter(pk__in=model):
        assert acc.balance == model[acc.pk] == (sums.get(acc.pk) or 0)
        assert acc.min_balance is None or acc.balance >= acc.min_balance
    assert verify_books().ok
