"""The market: platforms, investors, borrowers and regulators, stepped month by month.

The core layer. :mod:`~sandbox.market.model` holds the month (``SandboxModel.step``
reads top to bottom); one module per concept beside it. Nothing here imports the
rule registry, the scenario loader or any layer above at run time.
"""
