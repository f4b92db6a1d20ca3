"""What the orders app tells other apps, without knowing them."""

from django.dispatch import Signal

#: Sent inside the transaction that changed an order's delivery outcome (delivered or not, the day it
#: was delivered, on time, in full), with `account_id`. Service-level attainment recounts the account's
#: delivery figures on it (`steward.sla.rollup`).
delivery_changed = Signal()
