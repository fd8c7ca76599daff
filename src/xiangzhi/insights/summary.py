"""The 研判 summary: the dashboards and the report read a few thousand pre-aggregated cells instead of grouping the
case table, and the cells stay exact.

How it stays exact:
1. Database triggers (``triggers.py``) mark a case dirty in ``insights_dirtycase`` in the same transaction as any
   change the figures depend on — intake, every transition, re-routing, type and risk changes, the deadline clock
   and its colour, report flags, judicial confirmation, feedback, follow-up visits, imports, deletions, an
   organisation's kind — whoever writes (services, bulk paths, set-based UPDATEs, the admin).
2. :func:`sync` folds the dirty cases: for each, the old contribution (its ``CaseFact`` row) is subtracted from the
   cells and the new one, recomputed from the raw tables with the same expressions the raw queries use, is added;
   then the marks are deleted. It runs before every dashboard and report read (one cheap query when nothing is
   dirty) and every minute from ``runperiodic``, so a reader always sees every committed change.
3. Time-dependent figures are not cached as such: "overdue now" is the cells of the days before today plus a live
   count of today's deadlines that have passed; a fact keeps the colour of a deadline not yet near, and the cases
   whose deadline is near or past at the instant read are moved to their colour then (``disputes.colours``), from
   the same one query over the facts whose deadline is before now + the due-soon days (index on ``overdue_from``).
4. :func:`rebuild` recomputes everything from the raw tables (after bulk loads, when the triggers had to be
   reinstalled, or by ``xiangzhi insights_summary --rebuild``). tests/insights/test_summary.py checks after every
   kind of change that the figures read from the cells equal the figures computed from the raw tables.

A cell is (grouping, scope, month, k1, k2, k3) → sums of the case metrics. The scope is a region code (county, town,
village or grid): a case counts in the scope of each prefix of its code, so "cases in region R" is one exact match.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, QuerySet
from django.utils import timezone

from xiangzhi.core import workdays
from xiangzhi.disputes.enums import JudicialStatus

from .models import CaseFact, DirtyCase, SummaryCell, SummaryState

TZ = ZoneInfo("Asia/Shanghai")

CUBE, STATUS, VILLAGE, DAYS, NOW, DUE = 1, 2, 3, 4, 5, 6
GROUPS = {
    CUBE: "month × dispute type × level × organisation kind (the report, months, types, levels)",
    STATUS: "month × stage × source × colour",
    VILLAGE: "month × village",
    DAYS: "month × whole days from registration to closing (closed cases)",
    NOW: "stage × risk × colour, whatever the month (open, major risk, red)",
    DUE: "local day on which an open case becomes overdue, whatever the month",
}
METRICS = ("n", "accepted", "success", "amount", "repeats", "performed", "screened", "criminal", "criminal_people",
           "petition", "petition_people", "judicial")
FACT_FIELDS = ("month", "region_code", "type_id", "source", "level", "stage", "risk", "colour", "org_kind",
               "closed_days", "overdue_from", *METRICS)
SCOPE_LENGTHS = (6, 9, 12, 15)


class Fact(NamedTuple):
    """One ``CaseFact`` row (a tuple: the fold handles hundreds of thousands of them)."""

    case_id: int
    month: int
    region_code: str
    type_id: int
    source: str
    level: str
    stage: str
    risk: str
    colour: str
    org_kind: str
    closed_days: int | None
    overdue_from: dt.datetime | None
    n: int
    accepted: int
    success: int
    amount: int  # fen
    repeats: int
    performed: int
    screened: int
    criminal: int
    criminal_people: int
    petition: int
    petition_people: int
    judicial: int

CHUNK = 2000
REBUILD_AT = 50_000  # more dirty cases than this: rebuilding is faster than folding them one by one


# ----------------------------------------------------------------------------------------------------------------
# Facts: what one case contributes
# ----------------------------------------------------------------------------------------------------------------
def month_key(at: dt.datetime) -> int:
    local = at.astimezone(TZ)
    return local.year * 100 + local.month


def day_key(at: dt.datetime) -> int:
    local = at.astimezone(TZ)
    return local.year * 10000 + local.month * 100 + local.day


def months_of(start: dt.datetime, end: dt.datetime) -> list[int]:
    """The YYYYMM keys of the local months in [start, end) (periods are whole months)."""
    out, cur = [], start.astimezone(TZ)
    while cur < end:
        out.append(cur.year * 100 + cur.month)
        cur = cur.replace(year=cur.year + (cur.month == 12), month=cur.month % 12 + 1, day=1)
    return out


def scopes_of(code: str) -> list[str]:
    return [code[:n] for n in SCOPE_LENGTHS if len(code) >= n]


def covers(code: str) -> bool:
    """Whether the cells answer "the cases in region ``code``" (county, town, village or grid codes)."""
    return len(code) in SCOPE_LENGTHS


def facts(qs: QuerySet) -> Iterator[Fact]:
    """The facts of the cases of ``qs``, computed with the expressions of the raw dashboard and report queries
    (``DaysBetween``, ``performed_exists``); the deadline (``overdue_from``) and the colour with the disputes
    app's one rule (``disputes.colours``). The colour stored is the one the case shows while its deadline is not
    near (``colour_at`` turns it into the colour at any time: the deadline's passing changes no fact)."""
    from xiangzhi.disputes import colours

    from . import selectors as sel

    cal, memo = workdays.calendar(), {}
    annotations: dict[str, Any] = {"_days": sel.DaysBetween(F("created_at"), F("closed_at"))}
    names = ["pk", "created_at", "region_code", "dispute_type_id", "source", "level", "stage", "risk_level",
             "organisation__kind", "repeat_of_id", "agreement_amount", "agreement_effective_at", "closed_at",
             "stage_changed_at", "_days", "insight_flags__found_by_screening", "insight_flags__prevented_criminal",
             "insight_flags__prevented_criminal_people", "insight_flags__prevented_petition",
             "insight_flags__prevented_petition_people", "insight_flags__agreement_performed"]
    performed_by = []
    for rel, exists in sel.performed_exists().items():
        annotations[f"_performed_{rel}"] = exists
        performed_by.append(len(names))
        names.append(f"_performed_{rel}")
    names += ["judicial__status", "confirm_due", "extension__months", "clock__stage", "clock__stage_changed_at",
              "clock__due_at", "_success"]
    annotations["_success"] = ExpressionWrapper(sel.SUCCESS_Q, output_field=BooleanField())
    not_accepted = set(sel.NOT_ACCEPTED_YET)
    open_stages = set(sel.OPEN_STAGES)
    rows = qs.annotate(**annotations).order_by().values_list(*names)
    for row in rows.iterator(chunk_size=2000):
        (pk, created, code, type_id, source, level, stage, risk, org_kind, repeat_of, amount, effective, _closed,
         changed_at, days, screened, criminal, criminal_people, petition, petition_people, performed) = row[:21]
        accepted = stage not in not_accepted
        success = bool(row[-1])  # the raw queries' SUCCESS_Q (disputes.selectors.successful_q)
        performed = accepted and bool(performed or any(row[i] for i in performed_by))
        criminal = accepted and bool(criminal)
        petition = accepted and bool(petition)
        confirm_due, extension, clock_stage, clock_changed_at, clock_due = row[-6:-1]
        times = colours.CaseTimes(pk, stage, changed_at, risk, confirm_due, effective, extension or 0)
        due = colours.due(times, cal=cal, memo=memo,
                          clock=(clock_stage, clock_changed_at, clock_due) if clock_stage is not None else None)
        colour = colours.colour(risk, "none" if due is None else "on_time", colours.group(stage, effective is not None))
        overdue_from = due if stage in open_stages else None
        yield Fact(
            pk, month_key(created), code, type_id, source, level, stage, risk, colour, org_kind or "", days,
            overdue_from, 1, int(accepted), int(success), int((amount or 0) * 100) if success else 0,
            int(repeat_of is not None), int(performed), int(accepted and bool(screened)), int(criminal),
            (criminal_people or 0) if criminal else 0, int(petition), (petition_people or 0) if petition else 0,
            int(accepted and row[21 + len(performed_by)] == JudicialStatus.CONFIRMED),
        )


def stored_facts(qs: QuerySet) -> Iterator[Fact]:
    """``CaseFact`` rows as facts."""
    for row in qs.values_list("case_id", *FACT_FIELDS).iterator(chunk_size=2000):
        yield Fact(*row)


def cells_of(f: Fact) -> list[tuple[int, int, str, str, str]]:
    """(grouping, month, k1, k2, k3) of the cells a fact counts in (in every scope of its region code)."""
    m = f.month
    out = [(CUBE, m, str(f.type_id), f.level, f.org_kind), (STATUS, m, f.stage, f.source, f.colour),
           (VILLAGE, m, f.region_code[:12], "", ""), (NOW, 0, f.stage, f.risk, f.colour)]
    if f.closed_days is not None:
        out.append((DAYS, m, str(f.closed_days), "", ""))
    if f.overdue_from is not None:
        out.append((DUE, 0, str(day_key(f.overdue_from)), "", ""))
    return out


_FIRST_METRIC = Fact._fields.index("n")


def _vector(f: Fact) -> list[tuple[int, Any]]:
    """The non-zero metrics of a fact as (index, value)."""
    return [(i, v) for i, v in enumerate(f[_FIRST_METRIC:]) if v]


Key = tuple[int, str, int, str, str, str]  # grp, scope, month, k1, k2, k3


def _accumulate(target: dict[Key, list], fs: Iterable[Fact], sign: int = 1) -> None:
    """Add (or subtract) the facts to their cells at the finest scope (the case's own region code)."""
    for f in fs:
        vec = _vector(f)
        code = f.region_code
        for grp, month, k1, k2, k3 in cells_of(f):
            acc = target.get((grp, code, month, k1, k2, k3))
            if acc is None:
                acc = target[(grp, code, month, k1, k2, k3)] = [0] * len(METRICS)
            for i, v in vec:
                acc[i] += sign * v


def _roll_up(finest: dict[Key, list], keep=lambda scope: True) -> dict[Key, list]:  # noqa: ANN001
    """Spread finest-scope cells to every scope of their code (the ones ``keep`` accepts)."""
    out: dict[Key, list] = {}
    for (grp, code, month, k1, k2, k3), vec in finest.items():
        for scope in scopes_of(code):
            if not keep(scope):
                continue
            acc = out.get((grp, scope, month, k1, k2, k3))
            if acc is None:
                out[(grp, scope, month, k1, k2, k3)] = list(vec)
            else:
                for i, v in enumerate(vec):
                    acc[i] += v
    return out


def _cell_id(key: Key) -> str:
    return "|".join(str(k) for k in key)


def _table(model) -> tuple[str, list[str]]:  # noqa: ANN001
    qn = connection.ops.quote_name
    return qn(model._meta.db_table), [qn(f.column) for f in model._meta.concrete_fields]


def _write_facts(fs: list[Fact]) -> None:
    """INSERT the facts (raw executemany: the ORM's per-value preparation costs more than the database)."""
    if not fs:
        return
    table, columns = _table(CaseFact)
    adapt = connection.ops.adapt_datetimefield_value
    at = Fact._fields.index("overdue_from")
    rows = [(*f[:at], adapt(f[at]), *f[at + 1:]) for f in fs]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with connection.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i:i + 5000])


def _write_cells(cells: dict[Key, list], *, add: bool) -> None:
    """INSERT cells; with ``add``, a cell that exists gets the values added (an upsert), and a cell whose count falls
    to zero (no case left in it) is deleted."""
    rows = [(_cell_id(k), *k, *v) for k, v in cells.items() if any(v)]
    if not rows:
        return
    table, columns = _table(SummaryCell)
    one = f"({', '.join(['%s'] * len(columns))})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
    tail = ""
    if add:
        qn = connection.ops.quote_name
        tail = f" ON CONFLICT ({qn('cell')}) DO UPDATE SET " + ", ".join(
            f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in METRICS)
    per = 40  # rows per statement: 800 parameters, under every SQLite build's limit
    with connection.cursor() as cur:
        for i in range(0, len(rows), per):
            part = rows[i:i + per]
            cur.execute(head + ", ".join([one] * len(part)) + tail, [v for r in part for v in r])
    if add:
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 500):
            SummaryCell.objects.filter(cell__in=ids[i:i + 500], n=0).delete()


# ----------------------------------------------------------------------------------------------------------------
# Folding and rebuilding
# ----------------------------------------------------------------------------------------------------------------
def _lock() -> SummaryState:
    """Serialise folds (a row lock on PostgreSQL; SQLite transactions already hold the single write lock)."""
    state = SummaryState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        SummaryState.objects.bulk_create([SummaryState(pk=1)], ignore_conflicts=True)
        state = SummaryState.objects.select_for_update().get(pk=1)
    return state


def is_stale() -> bool:
    state = SummaryState.objects.filter(pk=1).values_list("stale", flat=True).first()
    return state is None or state


def sync() -> int:
    """Bring the cells up to date with every committed change; returns the number of cases folded. One query when
    nothing changed. Marks still being written by an open transaction are left for the next sync (their changes
    are not visible yet either)."""
    state = SummaryState.objects.filter(pk=1).values_list("stale", Exists(DirtyCase.objects.all())).first()
    if state is None or state[0]:
        return rebuild()
    if not state[1]:
        return 0
    if DirtyCase.objects.count() > REBUILD_AT:
        return rebuild()
    from xiangzhi.disputes.models import Case

    done = 0
    while True:
        with transaction.atomic():
            if _lock().stale:
                return done + rebuild()
            batch = list(DirtyCase.objects.select_for_update(skip_locked=True).order_by("case_id")
                         .values_list("case_id", flat=True)[:CHUNK])
            if not batch:
                break
            old = {f.case_id: f for f in stored_facts(CaseFact.objects.filter(case_id__in=batch))}
            new = {f.case_id: f for f in facts(Case.objects.filter(pk__in=batch))}
            changed = [pk for pk in batch if old.get(pk) != new.get(pk)]
            finest: dict[Key, list] = {}
            _accumulate(finest, (old[pk] for pk in changed if pk in old), -1)
            _accumulate(finest, (new[pk] for pk in changed if pk in new), +1)
            _write_cells(_roll_up(finest), add=True)
            CaseFact.objects.filter(case_id__in=changed).delete()
            _write_facts([new[pk] for pk in changed if pk in new])
            DirtyCase.objects.filter(case_id__in=batch).delete()
            SummaryState.objects.filter(pk=1).update(folded_at=timezone.now())
        done += len(batch)
        if len(batch) < CHUNK:
            break
    return done


def rebuild() -> int:
    """Recompute every fact and cell from the raw tables, village by village (memory stays flat). Holds the fold
    lock for its whole run; writers only wait on it if they change a case that was dirty when it started
    (PostgreSQL) — on SQLite every writer waits, as for any write. Returns the number of cases."""
    from xiangzhi.disputes.models import Case

    total = 0
    with transaction.atomic():
        state = _lock()
        DirtyCase.objects.all().delete()
        CaseFact.objects.all().delete()
        SummaryCell.objects.all().delete()
        codes = sorted(set(Case.objects.order_by().values_list("region_code", flat=True).distinct()))
        upper: dict[Key, list] = {}  # county and town scopes, small
        for _village, group in itertools.groupby(codes, key=lambda c: c[:12]):
            group = list(group)
            finest: dict[Key, list] = {}
            buffer = []
            for f in facts(Case.objects.filter(region_code__in=group)):
                buffer.append(f)
                if len(buffer) >= 5000:
                    _accumulate(finest, buffer)
                    _write_facts(buffer)
                    total += len(buffer)
                    buffer = []
            _accumulate(finest, buffer)
            _write_facts(buffer)
            total += len(buffer)
            _write_cells(_roll_up(finest, keep=lambda s: len(s) >= 12), add=False)
            for key, vec in _roll_up(finest, keep=lambda s: len(s) < 12).items():
                acc = upper.get(key)
                if acc is None:
                    upper[key] = vec
                else:
                    for i, v in enumerate(vec):
                        acc[i] += v
        _write_cells(upper, add=False)
        state.stale, state.rebuilt_at = False, timezone.now()
        state.save(update_fields=["stale", "rebuilt_at"])
    return total


def mark_stale() -> None:
    SummaryState.objects.update_or_create(pk=1, defaults={"stale": True})


# ----------------------------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------------------------
def read(scope: str, months: list[int], *, groups: Iterable[int] | None = None,
         metrics: Iterable[str] = METRICS) -> list[tuple]:
    """The cells of ``scope`` for ``months`` (and the month-less groupings), as (grp, month, k1, k2, k3, *metrics);
    ``amount`` in fen."""
    qs = SummaryCell.objects.filter(scope=scope, month__in=[0, *months])
    if groups is not None:
        qs = qs.filter(grp__in=list(groups))
    return list(qs.values_list("grp", "month", "k1", "k2", "k3", *metrics))


def yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def colour_at(stage: str, risk: str, colour: str, overdue_from: dt.datetime | None, now: dt.datetime) -> str:
    """The colour a case with this fact shows at ``now`` (``disputes.colours``): the stored colour (the colour while
    its deadline is not near), unless the deadline is near (即将到期) or past (超期) at ``now``."""
    from xiangzhi.disputes import colours

    return _shifted(stage, risk, colour, colours.status(overdue_from, now))


def _shifted(stage: str, risk: str, colour: str, status: str) -> str:
    from xiangzhi.disputes import colours

    if status in ("none", "on_time") or colour == colours.Colour.GREEN:  # a finished case stays green
        return colour
    return colours.colour(risk, status, colours.group(stage, False))


def near_deadlines(scope: str, now: dt.datetime) -> tuple[int, list[tuple[int, str, str, int]]]:
    """What the cells cannot hold, as they do not change when time passes, in one GROUP BY over the facts whose
    deadline is near or past at ``now`` (index on ``overdue_from``):
    - the open cases of ``scope`` whose deadline fell today before ``now`` (the rest of "overdue" is in DUE cells);
    - (month, stored colour, colour at ``now``, cases) for those whose colour is therefore not the stored one (即将到期
      orange, 超期 red), so the colour cells answer for any instant."""
    from django.conf import settings
    from django.db.models import BooleanField, Count, ExpressionWrapper, Q

    soon = now + dt.timedelta(days=settings.XIANGZHI_DEADLINE_DUE_SOON_DAYS)
    start = now.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    flag = {"output_field": BooleanField()}
    rows = (CaseFact.objects.filter(region_code__startswith=scope, overdue_from__lte=soon)
            .values("month", "stage", "risk", "colour")
            .annotate(late=ExpressionWrapper(Q(overdue_from__lt=now), **flag),
                      today=ExpressionWrapper(Q(overdue_from__gte=start, overdue_from__lt=now), **flag),
                      n=Count("case_id"))
            .order_by())
    overdue_today, shifts = 0, []
    for r in rows:
        if r["today"]:
            overdue_today += r["n"]
        new = _shifted(r["stage"], r["risk"], r["colour"], "overdue" if r["late"] else "due_soon")
        if new != r["colour"]:
            shifts.append((r["month"], r["colour"], new, r["n"]))
    return overdue_today, shifts


def verify_cells() -> list[str]:
    """Differences between the stored cells and cells recomputed from the stored facts (for tests and checks)."""
    finest: dict[Key, list] = {}
    _accumulate(finest, stored_facts(CaseFact.objects.all()))
    expected = {_cell_id(k): v for k, v in _roll_up(finest).items() if any(v)}
    stored = {c[0]: list(c[1:]) for c in SummaryCell.objects.values_list("cell", *METRICS)}
    problems = [f"{cid}: stored {stored.get(cid)} expected {vec}" for cid, vec in expected.items()
                if stored.get(cid) != vec]
    problems += [f"{cid}: stored but no fact" for cid in stored if cid not in expected]
    return problems
