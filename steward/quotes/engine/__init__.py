"""Pure rules of quoting: totals in Decimal, and which approvals a quote needs (no Django)."""
