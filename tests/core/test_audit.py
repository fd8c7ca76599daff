"""The audit log is append-only: services write it; nobody can update or delete a row."""

import pytest
from django.db import DatabaseError, connection, transaction

from xiangzhi.core import services
from xiangzhi.core.models import AppendOnlyError, AuditLog

pytestmark = pytest.mark.django_db


def test_services_write_who_what_and_when(mediator):
    person = services.create_person(name="张三", phone="13812345678", region=mediator.region, actor=mediator.user)
    row = AuditLog.objects.get(action="person.created", object_id=str(person.pk))
    assert row.actor == mediator.user and row.region_code == mediator.region.code
    assert row.after["phone"] == "138****5678"  # the audit row itself holds only masked data


def test_the_application_cannot_update_or_delete_a_row():
    row = services.audit("test.action", actor=None, note="x")
    row.note = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).update(note="changed")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).delete()


def test_database_triggers_refuse_raw_updates_and_deletes():
    """The triggers production installs (migration core 0002) hold even against raw SQL."""
    import importlib

    migration = importlib.import_module("xiangzhi.core.migrations.0002_append_only_triggers")
    class Editor:  # the part of a schema editor the migration uses, inside this test's transaction
        def __init__(self):
            self.connection = connection

        def execute(self, sql, params=()):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    row = services.audit("test.action", actor=None, note="x")
    migration.create_triggers(None, Editor(), force=True)
    try:
        for sql in ("UPDATE core_auditlog SET note = 'y' WHERE id = %s", "DELETE FROM core_auditlog WHERE id = %s"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])
    finally:
        migration.drop_triggers(None, Editor())
    assert AuditLog.objects.get(pk=row.pk).note == "x"


def test_the_auditors_page_searches_and_outsiders_get_404(auditor, mediator):
    services.audit("demo.searchable", actor=mediator.user, note="可检索")
    client = auditor.client()
    response = client.get("/workbench/audit/", {"action": "demo."})
    assert response.status_code == 200 and "demo.searchable" in response.content.decode()
    assert mediator.client().get("/workbench/audit/").status_code == 404
    api = client.get("/api/v1/audit", {"action": "demo."})
    assert api.status_code == 200 and api.json()["items"][0]["action"] == "demo.searchable"
    assert mediator.client().get("/api/v1/audit").status_code == 404


def test_every_unmasked_view_of_personal_data_is_logged(mediator, lawyer):
    person = services.create_person(name="王五", phone="13812345678", region=mediator.region, actor=None)
    client = mediator.client()
    page = client.get(f"/workbench/people/{person.pk}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    revealed = client.post(f"/workbench/people/{person.pk}/", {"reason": "调解需要联系当事人"}).content.decode()
    assert "13812345678" in revealed
    access = person.accesses.get()
    assert access.viewer == mediator.user and access.reason == "调解需要联系当事人" and "phone" in access.fields
    # API: same rule, and a role without the right is refused
    r = client.post(f"/api/v1/persons/{person.pk}/reveal", {"reason": "核实"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["phone"] == "13812345678"
    assert person.accesses.count() == 2
    masked = client.get(f"/api/v1/persons/{person.pk}").json()
    assert masked["phone"] == "138****5678" and masked["name"] == "王*"
