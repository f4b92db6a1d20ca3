"""The stages a new installation starts with; admins rename, reorder and extend them."""

import uuid

from django.db import migrations

DEFAULT_STAGES = [
    ("Prospecting", 10, "open"),
    ("Qualification", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
]


def add_stages(apps, schema_editor):
    Stage = apps.get_model("pipeline", "OpportunityStage")
    if Stage.objects.exists():
        return
    for position, (name, probability, outcome) in enumerate(DEFAULT_STAGES, start=1):
        Stage.objects.create(public_id=uuid.uuid4(), name=name, position=position * 10, probability=probability, outcome=outcome)


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0002_quota")]
    operations = [migrations.RunPython(add_stages, migrations.RunPython.noop)]
