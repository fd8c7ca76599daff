"""Signatures and the seal bind the version of the agreement they sign (人民调解法 第29条): each row gets the SHA-256
of the text it signed, read from its timeline event (which has carried it since signatures were first recorded), or,
for a row without one, the case's current text."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def bind_to_versions(apps, schema_editor):  # noqa: ANN001, ARG001
    import hashlib

    Signature = apps.get_model("disputes", "Signature")
    Seal = apps.get_model("disputes", "Seal")
    TimelineEvent = apps.get_model("disputes", "TimelineEvent")
    signed = {}
    for kind in ("signature", "seal"):
        for payload in TimelineEvent.objects.filter(kind=kind).values_list("payload", flat=True).iterator():
            if isinstance(payload, dict) and payload.get(kind) and payload.get("agreement_sha256"):
                signed[(kind, payload[kind])] = payload["agreement_sha256"]
    for model, kind in ((Signature, "signature"), (Seal, "seal")):
        for row in model.objects.filter(agreement_sha256="").select_related("case").iterator():
            row.agreement_sha256 = signed.get((kind, row.pk)) or hashlib.sha256(
                row.case.agreement_text.encode()).hexdigest()
            row.save(update_fields=["agreement_sha256"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_api_token_scopes_expiry_idempotency_keys'),
        ('disputes', '0009_timeline_event_kinds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='signature',
            name='signature_one_per_party',
        ),
        migrations.RemoveConstraint(
            model_name='signature',
            name='signature_one_per_mediator',
        ),
        migrations.AddField(
            model_name='seal',
            name='agreement_sha256',
            field=models.CharField(default='', max_length=64),
        ),
        migrations.AddField(
            model_name='signature',
            name='agreement_sha256',
            field=models.CharField(default='', max_length=64),
        ),
        migrations.RunPython(bind_to_versions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='seal',
            name='agreement_sha256',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='signature',
            name='agreement_sha256',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='seal',
            name='case',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='seals', to='disputes.case'),
        ),
        migrations.AddConstraint(
            model_name='seal',
            constraint=models.UniqueConstraint(fields=('case', 'agreement_sha256'), name='seal_one_per_version'),
        ),
        migrations.AddConstraint(
            model_name='signature',
            constraint=models.UniqueConstraint(fields=('case', 'agreement_sha256', 'party'), name='signature_one_per_party'),
        ),
        migrations.AddConstraint(
            model_name='signature',
            constraint=models.UniqueConstraint(fields=('case', 'agreement_sha256', 'mediator'), name='signature_one_per_mediator'),
        ),
    ]
