"""Each target state carries its case's account, so attainment by account counts from one index."""

import django.db.models.deletion
from django.db import migrations, models


def fill_accounts(apps, schema_editor):
    """One UPDATE on the database (not row by row): the account of each state's case."""
    table, cases = "sla_casetarget", "sla_case"
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"UPDATE {quote(table)} SET {quote('account_id')} = "
        f"(SELECT c.{quote('account_id')} FROM {quote(cases)} c WHERE c.{quote('id')} = {quote(table)}.{quote('case_id')})"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sla", "0006_escalation_owners_delivery_goals_reevaluation"),
    ]

    operations = [
        migrations.AddField(
            model_name="casetarget",
            name="account",
            field=models.ForeignKey(
                null=True, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.account",
                help_text="The case's account, kept on the state so attainment by account counts without reading cases.",
            ),
        ),
        migrations.RunPython(fill_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="casetarget",
            name="account",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.account",
                help_text="The case's account, kept on the state so attainment by account counts without reading cases.",
            ),
        ),
        migrations.AddIndex(
            model_name="casetarget",
            index=models.Index(fields=["account", "decided_on", "name", "status"], name="case_target_account_idx"),
        ),
    ]
