"""The demo year: the bulk path writes the same rows as the service path (so it may stand in for it at scale);
the year is reproducible, idempotent and has the county's shape (70.83% resolved by town and village)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest

from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.models import AuditLog, Region
from xiangzhi.disputes import demo_year
from xiangzhi.disputes.models import Case, Party, TimelineEvent
from xiangzhi.insights import demo, selectors
from xiangzhi.insights.models import CaseFlags

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
UNTIL = dt.datetime(2026, 11, 20, 12, tzinfo=TZ)
CASE_FIELDS = ["stage", "stage_changed_at", "channel", "source", "referral_org_id", "referral_ref", "dispute_type_id",
               "suggested_type_id", "risk_level", "region_code", "place", "level", "organisation_id", "mediator_id",
               "assigned_at", "confirm_due", "mediator_confirmed_at", "description", "request", "consent_at",
               "resolved_on_spot", "agreement_text", "agreement_amount", "agreement_effective_at", "outcome_reason",
               "outcome_note", "created_by_id", "created_at", "closed_at"]


def _sample_plans():
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith="330483100").order_by("code")
                    .values_list("code", flat=True))[:3]
    plans = demo_year.plan_year(60, seed=3, year=2026, villages=villages, until=UNTIL)
    picked, seen = [], set()
    for p in plans:  # one of each outcome, county-bound or not, plus repeats
        key = (p.outcome, p.to_county)
        if key not in seen or sum(1 for q in picked if q.phone == p.phone) or len(picked) < 14:
            seen.add(key)
            picked.append(p)
    # make sure one applicant comes back twice
    picked[5].phone, picked[5].applicant = picked[2].phone, picked[2].applicant
    picked[9].phone, picked[9].applicant = picked[2].phone, picked[2].applicant
    return picked[:18]


def _state(cases):
    index = {c.pk: i for i, c in enumerate(cases)}
    rows = []
    for c in cases:
        row = {f: getattr(c, f) for f in CASE_FIELDS}
        row["referral_ref"] = re.sub(r"-\d+$", "-N", c.referral_ref)  # the twins' referral numbers differ
        row["repeat_of"] = index.get(c.repeat_of_id, c.repeat_of_id and "outside")
        row["parties"] = [(p.role, p.kind, p.person.name, p.person.phone[3:], p.consent, p.consent_at, p.order)
                          for p in Party.objects.filter(case=c).select_related("person").order_by("order")]
        row["timeline"] = [(e.kind, e.stage_from, e.stage_to, re.sub(r"〔\d+〕\d+号", "N", e.text), e.at, e.public,
                            e.actor_id, e.actor_label)
                           for e in TimelineEvent.objects.filter(case=c).order_by("at", "id")]
        flags = CaseFlags.objects.filter(case=c).values("found_by_screening", "prevented_criminal",
                                                        "prevented_criminal_people", "prevented_petition",
                                                        "prevented_petition_people", "agreement_performed").first()
        row["flags"] = flags
        rows.append(row)
    return rows


def _norm(value):
    """What legitimately differs between the twins: case numbers, the first digits of the applicant's phone and the
    ids of the mediation records each path writes."""
    if isinstance(value, str):
        return re.sub(r"^15[89](\*{4}\d{4})$", r"15x\1", re.sub(r"〔\d+〕\d+号", "N", value))
    if isinstance(value, dict):
        return {k: "<session id>" if k == "session" and isinstance(v, int) else _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _audit_and_ledger(cases):
    """Per case, in order: its audit rows (the case's and its parties' persons') and its ledger leaves, without
    the row ids, the wall-clock time of the audit rows and the case ids."""
    from django.db.models import Q

    from xiangzhi.core.models import AuditLog
    from xiangzhi.ledger.models import Leaf

    out = []
    for c in cases:
        people = [str(pk) for pk in Party.objects.filter(case=c).values_list("person_id", flat=True)]
        audits = AuditLog.objects.filter(Q(object_type="disputes.case", object_id=str(c.pk))
                                         | Q(object_type="core.person", object_id__in=people)).order_by("id")
        groups = [f"disputes.case:{c.pk}", f"disputes.case:{c.pk}/internal"] + [f"core.person:{p}" for p in people]
        leaves = []
        for leaf in Leaf.objects.filter(group__in=groups).order_by("index"):
            data = json.loads(bytes(leaf.data))
            for volatile in ("id", "case_id", "object_id") + (("at",) if leaf.kind == "audit" else ()):
                data.pop(volatile, None)
            leaves.append((leaf.kind, leaf.ref_type, leaf.group.split(":")[0], _norm(data)))
        out.append({
            "audit": [(a.action, a.actor_id, a.actor_label, a.object_type, a.region_code, _norm(a.before),
                       _norm(a.after), a.note, a.ip) for a in audits],
            "ledger": leaves,
        })
    return out


def test_the_bulk_path_writes_the_same_state_as_the_services(tongxiang):
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    sup, mediators, grids = demo_year._demo_users(1)
    police = demo_year.police_by_town()
    plans = _sample_plans()
    from xiangzhi.insights.services import set_case_flags

    def one_by_one(pairs):  # the service twin: the flags through set_case_flags, case by case
        for plan, case in pairs:
            if flags := demo.planned_flags(plan, case):
                set_case_flags(case, actor=None, **flags)

    service_cases = [demo_year.run_plan(p, supervisor=sup, mediators=mediators, grid_workers=grids, police=police,
                                        on_cases=one_by_one) for p in plans]
    twins = copy.deepcopy(plans)
    for p in twins:  # other people (so the two sets do not see each other as repeats), same everything else
        p.phone = "159" + p.phone[3:]
        p.index += 1000  # and another referral number (a department's referral number is one case)
    before = Case.objects.count()
    demo_year.bulk_year(twins, supervisor=sup, mediators=mediators, grid_workers=grids, police=police, batch=7,
                        on_cases=demo.set_planned_flags)
    bulk_cases = list(Case.objects.order_by("id")[before:])
    a = _state([Case.objects.get(pk=c.pk) for c in service_cases])
    b = _state(bulk_cases)
    assert len(a) == len(b) == len(plans)
    outcomes = {p.outcome for p in plans}
    assert {"success", "spot"} <= outcomes and any(p.to_county for p in plans)
    assert any(r["repeat_of"] is not None for r in a)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        for key in x:
            assert x[key] == y[key], (i, plans[i].outcome, key, x[key], y[key])
    # the same audit rows and ledger leaves, in the same order, and the Merkle log verifies with every record
    a = _audit_and_ledger([Case.objects.get(pk=c.pk) for c in service_cases])
    b = _audit_and_ledger(bulk_cases)
    assert sum(len(x["audit"]) for x in a) > 8 * len(plans) and sum(len(x["ledger"]) for x in a) > 15 * len(plans)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        for key in ("audit", "ledger"):
            assert len(x[key]) == len(y[key]), (i, plans[i].outcome, key)
            for j, (u, v) in enumerate(zip(x[key], y[key], strict=True)):
                assert u == v, (i, plans[i].outcome, key, j, u, v)
    from xiangzhi.ledger import services as ledger

    report = ledger.verify_log()
    assert report.ok, report.summary()
    # every leaf recomputed from its record, but the case states: each case's latest one compared with its rows
    from xiangzhi.disputes.attestation import CASE_STATE_KIND
    from xiangzhi.ledger.models import Leaf

    assert report.records_checked + Leaf.objects.filter(kind=CASE_STATE_KIND).count() >= report.leaves_checked > 0
    assert report.states_checked == Case.objects.count()


def test_the_demo_year_has_the_countys_shape_and_is_idempotent(tongxiang):
    made = demo.build_year(seed=5, cases=600, until=UNTIL, say=lambda s: None, service_cases=3)
    assert made == 600
    year = selectors.parse_period("2026")
    board = selectors.dashboard(None, region=selectors.region_for("330483"), period=year)
    assert board.cards["total"] == 600
    assert abs(board.cards["local_share"] - 70.83) < 0.6
    types = {r.label: r.values[0] for r in board.chart("type").rows}
    top6 = sorted(types, key=types.get, reverse=True)[:6]
    assert {"邻里", "婚姻家庭", "合同"} <= set(top6)
    assert board.cards["repeats"] > 0 and board.cards["overdue"] > 0
    assert Case.objects.filter(stage="escalated").count() == 0  # escalated cases were accepted above
    assert Case.objects.filter(level="county").count() > 0
    flagged = CaseFlags.objects.count()  # the 研判 report flags, through insights.demo's hook
    assert flagged > 0 and AuditLog.objects.filter(action="insights.case_flags").count() == flagged
    assert demo.build_year(seed=5, cases=600, until=UNTIL, say=lambda s: None) == 0
    assert Case.objects.count() == 600


def test_the_demo_year_holds_the_countys_successful_mediations_at_its_share(tongxiang, grid_worker):
    """By default the year is planned to a number of successful mediations (the county's 5,334; 300 here), exactly
    LOCAL_SHARE of them by town and village organisations — counting the cases of the year written before it (two
    on-the-spot settlements here), as a direct count of the rows shows."""
    from tests.disputes.conftest import intake_data
    from xiangzhi.disputes import selectors as dsel
    from xiangzhi.disputes.services import intake

    for phone in ("13600000001", "13600000002"):
        intake.create_case(intake_data(on_spot="当场和解", applicant_phone=phone), actor=grid_worker.user,
                           channel="grid", now=UNTIL - dt.timedelta(days=100))
    made = demo.build_year(seed=6, successes=300, until=UNTIL, say=lambda s: None, service_cases=3)
    year = selectors.parse_period("2026")
    in_year = Case.objects.filter(created_at__gte=year.start, created_at__lt=year.end)
    assert in_year.count() == made + 2 > 300
    done = in_year.filter(dsel.successful_q())
    local = done.filter(level__in=["grid", "village", "town"]).count()
    assert done.count() == 300 and local == round(300 * demo_year.LOCAL_SHARE) == 212
    board = selectors.dashboard(None, region=selectors.region_for("330483"), period=year)
    assert (board.cards["success"], board.cards["local"], board.cards["local_share"]) == (300, 212, 70.67)
