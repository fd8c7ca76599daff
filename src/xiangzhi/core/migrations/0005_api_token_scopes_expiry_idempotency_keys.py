"""API tokens get scopes, an expiry and who issued them; idempotency keys of the API's creating POSTs.

Tokens issued before scopes existed keep what they could do: every scope (their user's own rights)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# enums.TOKEN_SCOPES as it was when this migration was written
ALL_SCOPES = ["core:read", "core:write", "cases:read", "cases:write", "ledger:read", "ledger:write", "consult:read",
              "consult:write", "insights:read", "insights:write"]


def existing_tokens_keep_every_scope(apps, schema_editor):  # noqa: ANN001, ARG001
    apps.get_model("core", "ApiToken").objects.update(scopes=ALL_SCOPES)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_personal_numbers_in_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='签发人'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='有效期至'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='scopes',
            field=models.JSONField(default=list, verbose_name='权限范围'),
        ),
        migrations.RunPython(existing_tokens_keep_every_scope, migrations.RunPython.noop),
        migrations.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('client', models.CharField(max_length=80)),
                ('key', models.CharField(max_length=100)),
                ('fingerprint', models.CharField(max_length=64)),
                ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('content_type', models.CharField(blank=True, max_length=100)),
                ('body', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('client', 'key'), name='idempotencykey_client_key')],
            },
        ),
    ]
