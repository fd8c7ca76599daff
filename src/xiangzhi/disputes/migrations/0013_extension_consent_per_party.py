"""Extension consent per party: one ExtensionConsent row for each party of the case (a case can have several
respondents), moved from the former two times on the extension — the applicant's time to each applicant, the
respondent's time to each respondent (third parties had none recorded) — then those two columns go."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def consents_per_party(apps, schema_editor):
    MediationExtension = apps.get_model("disputes", "MediationExtension")
    ExtensionConsent = apps.get_model("disputes", "ExtensionConsent")
    Party = apps.get_model("disputes", "Party")
    rows = []
    for ext in MediationExtension.objects.order_by("id").iterator():
        times = {"applicant": ext.applicant_consent_at, "respondent": ext.respondent_consent_at}
        for party in Party.objects.filter(case_id=ext.case_id, role__in=times).order_by("order", "id"):
            rows.append(ExtensionConsent(extension_id=ext.pk, party_id=party.pk, method="",
                                         consented_at=times[party.role], recorded_by_id=ext.granted_by_id))
    ExtensionConsent.objects.bulk_create(rows, batch_size=1000)


def consent_times_back(apps, schema_editor):
    MediationExtension = apps.get_model("disputes", "MediationExtension")
    ExtensionConsent = apps.get_model("disputes", "ExtensionConsent")
    for ext in MediationExtension.objects.order_by("id").iterator():
        consents = list(ExtensionConsent.objects.filter(extension_id=ext.pk).select_related("party"))
        for role, field in (("applicant", "applicant_consent_at"), ("respondent", "respondent_consent_at")):
            times = [c.consented_at for c in consents if c.party.role == role]
            setattr(ext, field, max(times) if times else ext.granted_at)
        ext.save(update_fields=["applicant_consent_at", "respondent_consent_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0012_case_cross_area_and_other_proceeding'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ExtensionConsent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('method', models.CharField(blank=True, choices=[('online', '本人网上答复'), ('in_person', '当面表示'), ('phone', '电话表示'), ('written', '书面表示')], max_length=12, verbose_name='同意方式')),
                ('consented_at', models.DateTimeField(verbose_name='同意时间')),
                ('extension', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='disputes.mediationextension')),
                ('party', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='disputes.party')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['extension', 'party__order', 'id'],
                'constraints': [models.UniqueConstraint(fields=('extension', 'party'), name='extension_consent_once')],
            },
        ),
        # nullable first, so that going back adds the two columns, fills them, then makes them required again
        migrations.AlterField(model_name="mediationextension", name="applicant_consent_at",
                              field=models.DateTimeField(null=True, verbose_name="申请人同意时间")),
        migrations.AlterField(model_name="mediationextension", name="respondent_consent_at",
                              field=models.DateTimeField(null=True, verbose_name="被申请人同意时间")),
        migrations.RunPython(consents_per_party, consent_times_back),
        migrations.RemoveField(
            model_name='mediationextension',
            name='applicant_consent_at',
        ),
        migrations.RemoveField(
            model_name='mediationextension',
            name='respondent_consent_at',
        ),
    ]
