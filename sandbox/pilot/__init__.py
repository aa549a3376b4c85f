"""Sandbox pilots: a firm's file, admission conditions, simulated tests, verdict and report card."""

from sandbox.pilot.core import *  # noqa: F403
from sandbox.pilot.core import __all__  # noqa: F401
