"""Service level agreements: policies, business calendars and the clock that measures cases."""
