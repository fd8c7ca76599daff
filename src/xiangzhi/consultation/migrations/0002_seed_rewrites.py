from pathlib import Path

from django.db import migrations


def seed(apps, schema_editor):  # noqa: ANN001, ARG001
    Rewrite = apps.get_model("consultation", "Rewrite")
    path = Path(__file__).resolve().parents[1] / "data" / "rewrites.tsv"
    seen = set(Rewrite.objects.values_list("phrase", flat=True))
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        phrase, terms = line.split("\t", 1)
        phrase = phrase.strip()
        if phrase and phrase not in seen:
            seen.add(phrase)
            rows.append(Rewrite(phrase=phrase[:60], terms=" ".join(terms.split())[:200]))
    Rewrite.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("consultation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
