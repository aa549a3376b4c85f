"""Scenarios: strict YAML (:mod:`~sandbox.config.yamlio`), the schema, ``extends:`` and
dated regimes (:mod:`~sandbox.config.scenario`)."""
