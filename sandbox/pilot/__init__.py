"""Sandbox admission: check a firm against a sandbox's conditions, test it in the market, write a report card.

    >>> from sandbox import pilot
    >>> firm = pilot.load_firm("scenarios/firms/steady_lending.yaml")
    >>> regime = pilot.load_scenario("scenarios/sandbox_regime.yaml")
    >>> report = pilot.assess(firm, regime, runs=20, seed=1)
    >>> report.verdict, report.data["failure_probability"]
    >>> report.write("out/card")            # report_card.json and report_card.html

Three steps, the same for every applicant:

1. **Eligibility** (:func:`check_eligibility`). The checkable conditions of a
   sandbox (FCA sandbox; PBoC fintech innovation pilot) are checked against
   the firm file: licensed or partnered with a licensed institution, client
   money with a custodian, its customer and per-customer caps within the
   sandbox's, disclosure, a compensation reserve, an exit plan, and the test
   duration. Genuine innovation and consumer benefit are declared and shown,
   not scored. Each condition is met or not, with its reason and the number
   behind it.
2. **The test** (:func:`simulate`). The firm becomes one platform row (see
   :func:`firm_rule`) placed in the regime's market when the sandbox's tests
   start, with its caps enforced for the test, over ``runs`` seeds; then under
   three stresses (a macro credit shock, the failure of its largest
   look-alike neighbour, a sudden stop of new money). Every run is repeated
   without the sandbox's caps (as if authorised in full) on the same seeds.
3. **The verdict** (:func:`judge`): refuse if a condition is not met; admit
   if every test check is met; if the test shows risk (failure probability
   above a threshold, stress failures, a reserve short of tail losses), admit
   with the concrete conditions :func:`search_conditions` finds and verifies
   by simulation (a customer cap, a capital top-up, or a reserve), or refuse
   if it finds none.

The compensation reserve is cash the firm sets aside outside the business: it
is not on the platform's balance sheet and cannot be lent. The report compares
it with the investor losses of each run.

Each step lives in its own module: :mod:`~sandbox.pilot.firm` (the firm file),
:mod:`~sandbox.pilot.eligibility`, :mod:`~sandbox.pilot.simulation`,
:mod:`~sandbox.pilot.verdict`, :mod:`~sandbox.pilot.conditions` and
:mod:`~sandbox.pilot.card`; :func:`~sandbox.pilot.assessment.assess` runs them in order.
"""

from sandbox.config.scenario import load_scenario
from sandbox.pilot.assessment import assess
from sandbox.pilot.card import PilotReport
from sandbox.pilot.conditions import AdmissionCondition, ConditionSearch, search_conditions
from sandbox.pilot.eligibility import Condition, PilotRequirements, check_eligibility
from sandbox.pilot.firm import DISCLOSURE_ITEMS, FirmFile, is_firm_file, load_firm
from sandbox.pilot.simulation import NeighbourFailure, PilotFirm, firm_rule, simulate, simulations
from sandbox.pilot.verdict import judge

__all__ = [
    "DISCLOSURE_ITEMS",
    "AdmissionCondition",
    "Condition",
    "ConditionSearch",
    "FirmFile",
    "NeighbourFailure",
    "PilotFirm",
    "PilotReport",
    "PilotRequirements",
    "assess",
    "check_eligibility",
    "firm_rule",
    "is_firm_file",
    "judge",
    "load_firm",
    "load_scenario",
    "search_conditions",
    "simulate",
    "simulations",
]
