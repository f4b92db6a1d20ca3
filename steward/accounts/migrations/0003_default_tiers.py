"""The default service tiers (configurable afterwards in the admin)."""

import uuid

from django.db import migrations

DEFAULT_TIERS = [
    ("Strategic", 0, 7, 3, "#7c3aed"),
    ("Key", 1, 14, 3, "#2563eb"),
    ("Growth", 2, 30, 6, "#059669"),
    ("Maintain", 3, 90, 12, "#64748b"),
]


def create_tiers(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    for name, rank, cadence, qbr, color in DEFAULT_TIERS:
        Tier.objects.get_or_create(
            name=name,
            defaults={"rank": rank, "touchpoint_cadence_days": cadence, "qbr_every_months": qbr, "color": color, "public_id": uuid.uuid4()},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(create_tiers, migrations.RunPython.noop)]
