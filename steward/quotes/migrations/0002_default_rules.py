from decimal import Decimal

from django.db import migrations

DEFAULT_RULES = [
    # name, metric, operator, threshold, approver, level
    ("Line discount above 15 %", "line_discount_pct", "gt", "15", "owner_manager", 1),
    ("Any nonstandard term or clause", "nonstandard_terms", "gte", "1", "owner_manager", 1),
    ("Overall discount above 20 %", "overall_discount_pct", "gt", "20", "director", 2),
    ("Payment terms beyond Net 45", "payment_term_days", "gt", "45", "director", 2),
    ("Quote total above 250,000", "total", "gt", "250000", "director", 2),
    ("Line discount above 40 %", "line_discount_pct", "gt", "40", "finance", 3),
    ("Payment terms beyond Net 90", "payment_term_days", "gt", "90", "finance", 3),
    ("Margin below 20 %", "margin_pct", "lt", "20", "finance", 3),
    ("Quote total above 1,000,000", "total", "gt", "1000000", "finance", 3),
]


def add_rules(apps, schema_editor):
    ApprovalRule = apps.get_model("quotes", "ApprovalRule")
    if ApprovalRule.objects.exists():
        return
    ApprovalRule.objects.bulk_create(
        ApprovalRule(name=n, metric=m, operator=o, threshold=Decimal(t), approver=a, level=lvl) for n, m, o, t, a, lvl in DEFAULT_RULES
    )


class Migration(migrations.Migration):
    dependencies = [("quotes", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
