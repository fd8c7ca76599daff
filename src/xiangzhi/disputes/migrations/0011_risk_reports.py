"""人民调解法 第25条: reports to the police or the competent department of disputes at 重大 risk."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0010_agreement_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='timelineevent',
            name='kind',
            field=models.CharField(choices=[('created', '案件登记'), ('transition', '阶段变更'), ('attachment', '提交材料'), ('signature', '签名'), ('seal', '加盖印章'), ('session', '调解记录'), ('consent', '当事人答复'), ('assignment_confirmed', '调解员确认接案'), ('retriage', '更正类型/改派'), ('repeat', '关联重复纠纷'), ('agreement_effective', '协议生效'), ('document', '生成文书'), ('risk_raised', '风险升级'), ('risk_reported', '报告公安机关或有关部门'), ('extension', '延长调解期限'), ('joint', '联动联办'), ('handover', '移交/接收'), ('feedback', '当事人评价'), ('visit', '回访'), ('not_performed', '反映未履行'), ('judicial', '司法确认')], max_length=24),
        ),
        migrations.CreateModel(
            name='RiskReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.CharField(choices=[('police', '公安机关'), ('department', '其他有关部门')], max_length=12, verbose_name='报告对象')),
                ('reported_to', models.CharField(max_length=120, verbose_name='接收单位及人员')),
                ('method', models.CharField(choices=[('phone', '电话'), ('in_person', '当面'), ('written', '书面'), ('platform', '平台推送')], max_length=12, verbose_name='报告方式')),
                ('reported_at', models.DateTimeField(verbose_name='报告时间')),
                ('reference', models.CharField(blank=True, max_length=60, verbose_name='接报编号或回执')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='报告内容摘要')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='risk_reports', to='disputes.case')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['reported_at', 'id'],
            },
        ),
    ]
