"""The 研判 summary agrees with the raw case tables after every kind of case change: intake, every stage transition,
re-routing with a type and risk change, report flags, feedback, follow-up visits, judicial confirmation, the colour
pass (clock rows), bulk inserts (the import and demo paths), raw UPDATEs, deletions, an organisation's kind, and
the passing of time (overdue). "Agrees" means: every dashboard figure and every report cell computed from the
cells equals the one computed by GROUP BY over the cases, for the county, a town, a village and a grid, for a
year, a quarter and two months — and the stored cells equal the cells recomputed from the stored facts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tests.conftest import COUNTY, WUZHEN, first_village
from tests.disputes.conftest import new_case, session, walk_at
from tests.insights.conftest import bulk_cases
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.services import intake, routing, transitions
from xiangzhi.insights import selectors, summary, triggers
from xiangzhi.insights.models import CaseFact, DirtyCase, SummaryCell

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
PERIODS = ("2026", "2026Q4", "2026-11", "2026-03")


def scopes() -> list[str]:
    from xiangzhi.core.models import Region

    village = first_village(WUZHEN)
    grid = Region.objects.filter(code__startswith=village.code, level="grid").order_by("code").first()
    return [COUNTY, WUZHEN, village.code, grid.code]


def assert_agrees(now: dt.datetime | None = None) -> None:
    folded = summary.sync()
    assert not DirtyCase.objects.exists(), "every mark is folded"
    assert summary.verify_cells() == []
    assert CaseFact.objects.count() == Case.objects.count()
    for code in scopes():
        region = selectors.region_for(code)
        for key in PERIODS:
            period = selectors.parse_period(key)
            cells = selectors.dashboard_figures(None, region=region, period=period, now=now, source="summary")
            raw = selectors.dashboard_figures(None, region=region, period=period, now=now, source="cases")
            assert cells == raw, (code, key, folded)
            a = selectors.mediation_report(None, period=period, region_code=code, source="summary")
            b = selectors.mediation_report(None, period=period, region_code=code, source="cases")
            assert (a.sections, a.totals) == (b.sections, b.totals), (code, key)


def test_bulk_inserts_raw_updates_and_deletions(cases_2026):
    assert_agrees()
    assert SummaryCell.objects.filter(scope=COUNTY).exists()
    more = bulk_cases(40, seed=11)  # a second load (the importer and the demo's bulk path write like this)
    assert DirtyCase.objects.count() >= 40
    assert_agrees()
    ids = [c.pk for c in more]
    Case.objects.filter(pk__in=ids[:5]).update(stage="closed", closed_at=dt.datetime(2026, 12, 1, tzinfo=TZ))
    Case.objects.filter(pk__in=ids[5:10]).update(created_at=dt.datetime(2026, 3, 5, 8, tzinfo=TZ))
    Case.objects.filter(pk__in=ids[10:15]).update(region_code=first_village(WUZHEN).code + "001")
    with connection.cursor() as cur:  # even a write that bypasses the ORM
        cur.execute("UPDATE disputes_case SET risk_level = 'major' WHERE id = %s", [ids[15]])
    assert_agrees()
    Case.objects.filter(pk__in=ids[20:30]).delete()
    assert_agrees()


def test_every_service_change_of_a_case(tongxiang, mediator, town_staff, villager_a):
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.services import deadlines, feedback, judicial
    from xiangzhi.insights.services import set_case_flags

    routing.ensure_reference_data()
    bulk_cases(30, seed=5)
    assert_agrees()
    now = dt.datetime.now(TZ)
    cases = [new_case() for _ in range(6)]  # intake through the services
    cases.append(new_case(risk_level="major", applicant_phone="13800000002"))
    assert_agrees()
    a, b, c, d, e, f, g = cases
    a = walk_at(a, S.AGREEMENT_ORAL, mediator.user, now, agreement_text="李四拆除占地围墙", agreement_amount="3200")
    assert_agrees()
    a = transitions.transition(a, S.CLOSED, actor=mediator.user, reason="已履行", now=now)
    assert_agrees()
    b = walk_at(b, S.AGREEMENT_WRITTEN, mediator.user, now, agreement_text="李四赔偿张三800元", agreement_amount="800")
    assert_agrees()
    c = transitions.transition(c, S.NOT_ACCEPTED, actor=mediator.user, reason="已起诉", details=transitions.NotAccept("already_handled"))
    assert_agrees()
    d = walk_at(d, S.IN_MEDIATION, mediator.user, now)
    session(d, mediator.user)
    d = transitions.transition(d, S.TERMINATED, actor=mediator.user, reason="调解不成",
                            details=transitions.Terminate("no_agreement"))
    assert_agrees()
    e = transitions.transition(e, S.ACCEPTED, actor=mediator.user, reason="受理")
    e = transitions.transition(e, S.ESCALATED, actor=mediator.user, reason="疑难复杂，上报")
    assert_agrees()
    f = intake.retriage(f, actor=town_staff.user, type_code="labour", risk_level="major", reason="更正")
    assert_agrees()
    set_case_flags(g, actor=None, found_by_screening=True, prevented_petition=True, prevented_petition_people=12)
    set_case_flags(a, actor=None, prevented_criminal=True, prevented_criminal_people=3)
    assert_agrees()
    applicant = a.parties.get(role="applicant")
    feedback.rate(a, applicant, actor=villager_a[0], rating=5)
    feedback.record_visit(a, actor=mediator.user, performed=True, visited_at=now, satisfaction=5)
    assert_agrees()
    judicial.apply(a, actor=mediator.user, court="桐乡市人民法院", applied_at=now)
    judicial.record_court(a, actor=mediator.user, status="accepted", at=now, court_case_number="(2026)浙0483民特1号")
    judicial.record_court(a, actor=mediator.user, status="confirmed", at=now)
    assert_agrees()
    a = feedback.report_not_performed(a, applicant, actor=villager_a[0], note="未履行", now=now)  # reopened
    assert_agrees()
    deadlines.colour_pass(now=now + dt.timedelta(days=40), notify=False)  # clock rows: deadlines and colours
    assert_agrees()
    assert_agrees(now=now + dt.timedelta(days=40))
    assert_agrees(now=now + dt.timedelta(days=400))


def test_overdue_counts_deadlines_of_today_up_to_now(cases_2026):
    """The cells hold overdue counts per day; today's deadlines are counted live, to the microsecond."""
    summary.sync()
    due = CaseFact.objects.filter(overdue_from__isnull=False).order_by("overdue_from").values_list(
        "overdue_from", flat=True)[3]
    for now in (due, due + dt.timedelta(microseconds=1), due.astimezone(TZ).replace(hour=0, minute=0, second=0,
                                                                                    microsecond=0)):
        assert_agrees(now=now)


def test_an_organisations_kind_is_a_key_of_the_report(cases_2026):
    from xiangzhi.core.models import Organisation

    summary.sync()
    org = Organisation.objects.filter(cases__isnull=False, kind="town_committee").distinct().first()
    Organisation.objects.filter(pk=org.pk).update(kind="professional_committee")
    assert DirtyCase.objects.exists()
    assert_agrees()


def test_dropped_triggers_are_reinstalled_and_the_summary_rebuilt(cases_2026):
    from xiangzhi.insights.apps import _reinstall_triggers

    assert_agrees()
    triggers.uninstall(connection)
    assert triggers.missing(connection)
    bulk_cases(20, seed=13)  # unseen by the summary
    assert not DirtyCase.objects.exists()
    _reinstall_triggers(None, using="default")  # what runs after every migrate
    assert not triggers.missing(connection)
    assert summary.is_stale()
    assert_agrees()


def test_every_trigger_names_the_tables_and_columns_of_the_models():
    """The triggers read their table and column names from the models' _meta: what is installed names the live
    tables and columns, and the migration that installs them (its historical models) gives the same names."""
    from django.apps import apps
    from django.db.migrations.executor import MigrationExecutor

    from xiangzhi.core.models import Organisation
    from xiangzhi.insights.models import CaseFlags

    live = triggers.schema()
    models = {m._meta.db_table: m for m in apps.get_models()}
    watched = [models[w.table] for w in live.watches]
    assert {m._meta.label for m in watched} == {
        "disputes.Case", "disputes.CaseClock", "insights.CaseFlags", "disputes.JudicialConfirmation",
        "disputes.Feedback", "disputes.FollowUpVisit"}
    for w, model in zip(live.watches, watched, strict=True):
        meta_columns = {f.column for f in model._meta.concrete_fields}
        assert w.key in meta_columns and set(w.columns) <= meta_columns, (w, sorted(meta_columns))
        with connection.cursor() as cur:
            db_columns = {c.name for c in connection.introspection.get_table_description(cur, w.table)}
        assert {w.key, *w.columns} <= db_columns
    assert next(w for w in live.watches if w.table == CaseFlags._meta.db_table).columns == (
        CaseFlags._meta.get_field("case").column, *(CaseFlags._meta.get_field(f).column for f in (
            "found_by_screening", "prevented_criminal", "prevented_criminal_people", "prevented_petition",
            "prevented_petition_people", "agreement_performed")))
    assert (live.dirty, live.case_table, live.org_table) == (
        DirtyCase._meta.db_table, Case._meta.db_table, Organisation._meta.db_table)
    assert (live.case_org, live.org_kind) == (Case._meta.get_field("organisation").column,
                                              Organisation._meta.get_field("kind").column)
    state = MigrationExecutor(connection).loader.project_state(("insights", "0002_summary"), at_end=True)
    assert triggers.schema(state.apps) == live
    assert not triggers.missing(connection)
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cur:
        cur.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'" if sqlite else
                    "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
        installed = {name: table.strip('"') for name, table in cur.fetchall() if name.startswith("xz_dirty_")}
    assert installed == dict(triggers.trigger_tables(live))


def test_only_users_who_see_the_whole_region_read_the_cells(cases_2026, town_staff, mediator, county_admin):
    assert selectors.use_summary(None, COUNTY)
    assert selectors.use_summary(county_admin.user, WUZHEN)
    assert selectors.use_summary(town_staff.user, WUZHEN)
    assert not selectors.use_summary(town_staff.user, COUNTY)
    assert not selectors.use_summary(None, "3304")  # not a county, town, village or grid code
    # a mediator whose jurisdiction is one village still sees the cases of their organisation elsewhere
    village = mediator.region.code
    assert selectors.use_summary(mediator.user, village) and not selectors.use_summary(mediator.user, WUZHEN)


def test_the_command_rebuilds_and_checks(cases_2026):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("insights_summary", "--rebuild", "--check", stdout=out)
    assert "重建 160 件案件" in out.getvalue() and "校验通过" in out.getvalue()
    SummaryCell.objects.filter(scope=COUNTY).update(n=0)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不一致"):
        call_command("insights_summary", "--check", stdout=io.StringIO())
