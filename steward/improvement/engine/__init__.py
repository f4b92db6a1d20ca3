"""Pure rules of improvement plans: no Django, no app code."""
