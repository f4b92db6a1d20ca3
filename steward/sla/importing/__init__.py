"""Importers that turn other systems' case histories into SLA clock events, in plain Python.

Like the engine, nothing here imports Django or another app: an importer reads a file and returns
frozen dataclasses (cases with `steward.sla.engine.clock.Event` logs, and the problems it met),
so it can be tested and replayed without a database.
"""
