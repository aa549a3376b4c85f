"""Policy rules: each a small dated unit in its own module, listed in one registry.

Import this package to register the built-in rules. A rule of your own:

    from sandbox.rules import Rule, register

    @register
    class MyRule(Rule):
        name = "my_rule"
        level: float = 0.5

        def apply(self, policy, model):
            ...
"""

from sandbox.rules import registry
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

__all__ = ["Policy", "Rule", "register", "registry"]

# The built-in rules register themselves on import; each lives in its own module.
from sandbox.rules import (  # noqa: E402,F401
    blacklist,
    borrower_limits,
    cross_border_access,
    custody,
    disclosure,
    early_warning,
    exit_campaign,
    information_sharing,
    inspections,
    insurance_online_licensing,
    investor_education,
    investor_protection,
    licensing,
    mmf_holding_cap,
    mmf_liquidity,
    mmf_redemption_cap,
    payment_licensing,
    payment_reserve,
    pool_ban,
    rate_cap,
    resolution,
    sandbox_pilot,
)
