"""The SLA rules in plain Python: business calendars (`calendar`) and the case clock (`clock`)."""
