"""The books of the time bank: accounts, posted transfers (double entry in one row), reversals, and the checks
``xiangzhi timebank verify`` runs.

Every transfer goes through :func:`post_transfer`: it locks the two accounts in primary-key order
(``select_for_update``, so concurrent transfers on PostgreSQL queue instead of overdrawing or deadlocking), refuses a
payer that would fall below its minimum, and inserts the transfer row; the database trigger moves the two cached
balances and the account CHECK refuses a balance below the minimum even if this code were bypassed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum

from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.core.text import clean_text

from .. import rules
from ..enums import AccountKind, ActivityState, TransferKind
from ..models import Account, Activity, Movement, Redemption, Transfer
from .records import record

ISSUANCE_LABEL = "桐乡市法治时间银行（发行账户）"
MAX_TRANSFER_MINUTES = 100_000 * 60  # a sanity bound: no single transfer moves more than 100,000 hours


def issuance_account() -> Account:
    """The county's issuance account (no minimum): verified activities are credited from it, redemptions return
    minutes to it, so Σ of all balances is 0. Created on first use."""
    acc = Account.objects.filter(kind=AccountKind.ISSUANCE).first()
    if acc is not None:
        return acc
    try:
        with transaction.atomic():
            return Account.objects.create(kind=AccountKind.ISSUANCE, label=ISSUANCE_LABEL, min_balance=None)
    except IntegrityError:  # created meanwhile by a concurrent first use
        return Account.objects.get(kind=AccountKind.ISSUANCE)


def open_account(label: str, *, min_balance: int = 0) -> Account:
    return Account.objects.create(kind=AccountKind.MEMBER, label=clean_text(label)[:80], min_balance=min_balance)


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed("INVALID_MINUTES", "分钟数必须是正整数。", {"amount": amount})
    if amount > MAX_TRANSFER_MINUTES:
        raise ValidationFailed("INVALID_MINUTES", "单笔分钟数过大。", {"amount": amount})
    return amount


def lock_accounts(ids: Iterable[int]) -> dict[int, Account]:
    """Lock the accounts ``ids`` (FOR UPDATE on PostgreSQL) in primary-key order, the one order every writer uses."""
    rows = Account.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {a.pk: a for a in rows}


def post_transfer(kind: TransferKind, *, from_account: Account, to_account: Account, amount: int,
                  actor: User | None, memo: str = "", reverses: Transfer | None = None) -> Transfer:
    """Post one transfer. Guards: a positive whole amount, two different accounts, the payer stays at or above its
    minimum (checked under the row locks). Side effects: the transfer row (the trigger moves both cached balances),
    its audit row and ledger leaf; both account objects passed in get their new balances."""
    check_amount(amount)
    if from_account.pk == to_account.pk:
        raise ValidationFailed("SAME_ACCOUNT", "转出和转入不能是同一个账户。")
    with transaction.atomic():
        locked = lock_accounts([from_account.pk, to_account.pk])
        payer = locked[from_account.pk]
        if payer.min_balance is not None and payer.balance - amount < payer.min_balance:
            raise Conflict("INSUFFICIENT_MINUTES", "时间余额不足。",
                           {"balance": payer.balance, "amount": amount, "min_balance": payer.min_balance})
        t = Transfer.objects.create(kind=kind, from_account_id=payer.pk, to_account_id=to_account.pk, amount=amount,
                                    reverses=reverses, memo=clean_text(memo)[:200],
                                    created_by=actor if actor is not None and actor.pk else None)
        record(f"timebank.transfer.{kind}", t, {"amount": amount, "from": payer.pk, "to": to_account.pk,
                                                "reverses": reverses.pk if reverses else None},
               actor=actor, transfer=t)
        balances = dict(Account.objects.filter(pk__in=[payer.pk, to_account.pk]).values_list("pk", "balance"))
    from_account.balance, to_account.balance = balances[from_account.pk], balances[to_account.pk]
    return t


def reverse_transfer(transfer: Transfer, *, actor: User | None, reason: str) -> Transfer:
    """Correct a posted transfer by a reversing one (same amount, sides swapped), at most once; refused when the
    reversal would take an account below its minimum (e.g. credited minutes already spent)."""
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationFailed("REASON_REQUIRED", "请填写冲正原因。")
    if actor is not None and not rules.can_reverse(core_rules.roles_of(actor), already_reversed=False,
                                                   is_reversal=False):
        raise Forbidden("NOT_ALLOWED", "只有县级管理员可以冲正。")
    if transfer.kind == TransferKind.REVERSAL:
        raise Conflict("NOT_REVERSIBLE", "冲正记录不能再冲正。")
    if Transfer.objects.filter(reverses=transfer).exists():
        raise Conflict("ALREADY_REVERSED", "该笔已冲正。")
    try:
        with transaction.atomic():
            return post_transfer(TransferKind.REVERSAL, from_account=transfer.to_account,
                                 to_account=transfer.from_account, amount=int(transfer.amount), actor=actor,
                                 memo=reason, reverses=transfer)
    except IntegrityError as exc:  # a concurrent reversal of the same transfer won (unique ``reverses``)
        raise Conflict("ALREADY_REVERSED", "该笔已冲正。") from exc


def balance_of(account: Account) -> int:
    """The derived balance: Σ of the account's movements (read from the two indexed sides of its transfers)."""
    out = Transfer.objects.filter(from_account=account).aggregate(s=Sum("amount"))["s"] or 0
    into = Transfer.objects.filter(to_account=account).aggregate(s=Sum("amount"))["s"] or 0
    return int(into - out)


# ---------------------------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    code: str
    message: str


@dataclass
class BooksReport:
    transfers: int = 0
    accounts: int = 0
    movement_sum: int = 0
    faults: list[Fault] | None = None

    @property
    def ok(self) -> bool:
        return not self.faults


SQLITE_GUARDS = {"timebank_transfer_post", "timebank_transfer_reversal", "timebank_transfer_no_update",
                 "timebank_transfer_no_delete"}
POSTGRES_GUARDS = {"timebank_transfer_post", "timebank_transfer_append_only"}


def _installed_guards() -> tuple[set[str], set[str]]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'timebank_transfer'")
            return SQLITE_GUARDS, {r[0] for r in cur.fetchall()}
        cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'timebank_transfer'::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'D'")
        return POSTGRES_GUARDS, {r[0] for r in cur.fetchall()}


def verify_books() -> BooksReport:
    """Check the books: the database guards are in place; Σ of all movements is 0 and every transfer has its two
    opposite movements; every cached balance equals Σ of its movements and none is below its minimum; no amount is
    ≤ 0 and no transfer has one account on both sides; every reversal mirrors what it reverses; every verified
    activity and every redemption is backed by its transfer. Read-only."""
    faults: list[Fault] = []
    report = BooksReport(transfers=Transfer.objects.count(), accounts=Account.objects.count(), faults=faults)
    if connection.vendor in ("sqlite", "postgresql"):
        wanted, found = _installed_guards()
        for name in sorted(wanted - found):
            faults.append(Fault("GUARD_MISSING", f"数据库触发器 {name} 缺失或已停用"))
    report.movement_sum = int(Movement.objects.aggregate(s=Sum("amount"))["s"] or 0)
    if report.movement_sum != 0:
        faults.append(Fault("UNBALANCED", f"全部流水合计 {report.movement_sum} 分钟，应为 0"))
    for row in (Movement.objects.values("transfer_id").annotate(n=Count("id"), s=Sum("amount"))
                .filter(~Q(n=2) | ~Q(s=0)).order_by("transfer_id")[:100]):
        faults.append(Fault("UNPAIRED", f"转账 #{row['transfer_id']} 的流水不成对（{row['n']} 条，合计 {row['s']}）"))
    for t in Transfer.objects.filter(Q(amount__lte=0) | Q(from_account=F("to_account"))).only("pk")[:100]:
        faults.append(Fault("BAD_TRANSFER", f"转账 #{t.pk} 金额或账户不合法"))
    derived = dict(Movement.objects.values_list("account_id").annotate(s=Sum("amount")).order_by())
    cached_total = 0
    for acc in Account.objects.order_by("pk").iterator(chunk_size=2000):
        real = int(derived.get(acc.pk) or 0)
        cached_total += acc.balance
        if acc.balance != real:
            faults.append(Fault("CACHE_MISMATCH", f"账户 #{acc.pk} 余额缓存 {acc.balance}，流水合计 {real}"))
        if acc.min_balance is not None and real < acc.min_balance:
            faults.append(Fault("BELOW_MINIMUM", f"账户 #{acc.pk} 余额 {real} 低于最低余额 {acc.min_balance}"))
        if acc.kind == AccountKind.MEMBER and acc.min_balance is None:
            faults.append(Fault("NO_MINIMUM", f"志愿者账户 #{acc.pk} 没有最低余额"))
    if cached_total != 0:
        faults.append(Fault("CACHE_UNBALANCED", f"全部账户余额缓存合计 {cached_total}，应为 0"))
    for r in Transfer.objects.filter(reverses__isnull=False).select_related("reverses").iterator(chunk_size=2000):
        o = r.reverses
        if (r.kind != TransferKind.REVERSAL or o.kind == TransferKind.REVERSAL or r.amount != o.amount
                or r.from_account_id != o.to_account_id or r.to_account_id != o.from_account_id):
            faults.append(Fault("BAD_REVERSAL", f"冲正 #{r.pk} 与原转账 #{o.pk} 不对应"))
    if Transfer.objects.filter(kind=TransferKind.REVERSAL, reverses__isnull=True).exists():
        faults.append(Fault("BAD_REVERSAL", "存在没有原转账的冲正记录"))
    issuance = Account.objects.filter(kind=AccountKind.ISSUANCE).values_list("pk", flat=True).first()
    for a in (Activity.objects.filter(state=ActivityState.VERIFIED).select_related("transfer", "volunteer")
              .iterator(chunk_size=2000)):
        t = a.transfer
        if (t is None or t.kind != TransferKind.CREDIT or t.amount != a.minutes or t.from_account_id != issuance
                or t.to_account_id != a.volunteer.account_id):
            faults.append(Fault("BAD_CREDIT", f"服务记录 #{a.pk} 的入账与记录不一致"))
    if Activity.objects.filter(~Q(state=ActivityState.VERIFIED), transfer__isnull=False).exists():
        faults.append(Fault("BAD_CREDIT", "存在未核验却已入账的服务记录"))
    for rd in Redemption.objects.select_related("transfer", "volunteer").iterator(chunk_size=2000):
        t = rd.transfer
        if (t.kind != TransferKind.REDEMPTION or t.amount != rd.minutes
                or t.from_account_id != rd.volunteer.account_id):
            faults.append(Fault("BAD_REDEMPTION", f"兑换 #{rd.pk} 与其转账不一致"))
    return report
