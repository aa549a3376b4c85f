"""Helpers every layer may use; they import nothing else from ``sandbox``.

- :mod:`~sandbox.common.dates`: calendar months (``YYYY-MM``), dated values.
- :mod:`~sandbox.common.outputs`: strict JSON and spreadsheet-safe CSV writers.
"""
