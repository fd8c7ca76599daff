"""时间银行 services, one module per activity: books.py (accounts, transfers, reversals, the checks of
``xiangzhi timebank verify``), volunteers.py, activities.py (record, propose, verify), exchange.py (catalogue,
redemptions, donations) and records.py (audit rows and ledger leaves)."""

from . import records  # noqa: F401 - registers the ledger kind of transfers (ledger.registry.autodiscover)
