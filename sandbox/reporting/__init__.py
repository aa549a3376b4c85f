"""What people read: figures (:mod:`~sandbox.reporting.plots`), plain-language findings
(:mod:`~sandbox.reporting.findings`), HTML reports (:mod:`~sandbox.reporting.report`) and
the rule catalogue (:mod:`~sandbox.reporting.docs`)."""
