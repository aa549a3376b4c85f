"""Helpers every layer may use; they import nothing else from ``sandbox``.

- :mod:`~sandbox.common.dates`: calendar months (``YYYY-MM``), dated values.
- :mod:`~sandbox.common.validation`: ``StrictModel``, the pydantic base of every
  scenario section and rule (finite numbers, strict types, percent hints).
- :mod:`~sandbox.common.horizon`: the one bound on a run's length in months.
- :mod:`~sandbox.common.outputs`: strict JSON and spreadsheet-safe CSV writers.
"""
