"""What people read: figures (:mod:`~sandbox.reporting.plots`), plain-language findings
(:mod:`~sandbox.reporting.findings`), HTML reports (:mod:`~sandbox.reporting.report`, built from a
folder read by :mod:`~sandbox.reporting.load`, numbers from :mod:`~sandbox.reporting.tables` and
sections from :mod:`~sandbox.reporting.sections`) and the rule catalogue (:mod:`~sandbox.reporting.docs`)."""
