"""One case per department and referral document number (移送文号).

A referral sent twice before this constraint left two cases: the later ones keep their case but their document number gets
the suffix ``#重复<case id>``, so the constraint can hold and nobody's record is lost."""

from django.conf import settings
from django.db import migrations, models


def mark_repeated_referrals(apps, schema_editor):  # noqa: ANN001, ARG001
    case_model = apps.get_model("disputes", "Case")
    seen: set[tuple[int, str]] = set()
    rows = (case_model.objects.filter(referral_org__isnull=False).exclude(referral_ref="")
            .order_by("id").values_list("id", "referral_org_id", "referral_ref"))
    for pk, org_id, ref in rows.iterator():
        if (org_id, ref) in seen:
            suffix = f"#重复{pk}"
            case_model.objects.filter(pk=pk).update(referral_ref=ref[: 60 - len(suffix)] + suffix)
        else:
            seen.add((org_id, ref))


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0007_case_preferred_mediator'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(mark_repeated_referrals, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(condition=models.Q(('referral_org__isnull', False), models.Q(('referral_ref', ''), _negated=True)), fields=('referral_org', 'referral_ref'), name='case_referral_once'),
        ),
    ]
