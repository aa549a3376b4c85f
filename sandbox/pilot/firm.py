"""The firm file: an applicant's application to the sandbox, its schema and loading.

A firm file is strict YAML (as scenario files are): unknown keys, non-finite
numbers and out-of-range values are refused with the file, line and field.
Fields marked *enforced* change what the firm does in the simulation
(:func:`sandbox.pilot.simulation.firm_rule`); the rest are declared and shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from sandbox.config.scenario import ScenarioError
from sandbox.config.yamlio import format_validation_error, line_locator, load_yaml
from sandbox.market.params import Section
from sandbox.market.platforms import INTERMEDIARY, POOL

#: What a firm can commit to publish; its disclosure quality is the share it publishes
#: (after the P2P information disclosure guidelines, China 2017, and FCA sandbox disclosures).
DISCLOSURE_ITEMS: tuple[str, ...] = (
    "company_information",
    "audited_accounts",
    "funding_model",
    "fees_and_charges",
    "loan_book_performance",
    "overdue_and_default_rates",
    "custody_arrangement",
    "risk_warnings",
    "related_party_transactions",
    "complaints_and_incidents",
)
DisclosureItem = Literal[DISCLOSURE_ITEMS]  # type: ignore[valid-type]

#: Funding model -> platform kind in the model (a firm never declares fraud).
KIND_OF: dict[str, int] = {"matched": INTERMEDIARY, "pooled": POOL, "guaranteed": POOL}


class FirmSection(Section):
    """A block of a firm file: unknown keys are errors, and every number must be finite.

    ``allow_inf_nan=False`` holds for every float field of every block, so a
    ``.inf`` or ``.nan`` anywhere in a firm file is refused at load with its
    line and field, instead of reaching the simulation (pydantic merges this
    with :class:`Section`'s configuration).
    """

    model_config = ConfigDict(allow_inf_nan=False)


class Product(FirmSection):
    """What the firm sells."""

    type: Literal["lending", "wealth_management"] = Field(
        description="lending: loans to borrowers funded by investors; "
        "wealth_management: investment products sold online"
    )
    description: str = Field("", description="the product in a sentence")
    innovation: str = Field("", description="what is new (declared; shown, not scored)")
    consumer_benefit: str = Field("", description="why customers are better off (declared; shown, not scored)")


class Licence(FirmSection):
    """Whether the firm is licensed, or works with a licensed institution."""

    status: Literal["licensed", "partnered", "none"] = Field(description="licensed itself, partnered, or neither")
    licence: str | None = Field(None, min_length=1, description="the licence held (when status is licensed)")
    partner: str | None = Field(None, min_length=1, description="the licensed partner institution (when partnered)")


class InvestorTerms(FirmSection):
    """Terms offered to investors."""

    annual_yield: float = Field(
        ge=0, le=1, description="promised (pooled, guaranteed) or target (matched) yield, fraction a year"
    )
    term_months: int = Field(12, ge=1, le=120, description="investment term or lock-up, months (declared)")
    minimum_investment: float = Field(0.0, ge=0, description="smallest investment, yuan (declared)")
    max_investment_per_customer: float = Field(gt=0, description="most one customer may invest, yuan (enforced)")


class BorrowerTerms(FirmSection):
    """Terms offered to borrowers (or, for wealth management, to the assets bought)."""

    max_apr: float = Field(gt=0, le=5, description="highest APR charged; riskier borrowers are declined (enforced)")
    term_months: list[Annotated[int, Field(ge=1, le=360)]] = Field(
        [12], min_length=1, description="loan terms offered, months, each 1 to 360 (declared)"
    )
    max_loan: float | None = Field(None, gt=0, description="largest loan, yuan (declared)")


class Custody(FirmSection):
    """Who holds client money."""

    arrangement: Literal["bank", "trust", "none"] = Field(
        description="client money held by a bank or trust custodian, or by the firm"
    )
    custodian: str | None = Field(None, min_length=1, description="the custodian's name")


class Disclosure(FirmSection):
    """What the firm will publish."""

    publishes: list[DisclosureItem] = Field(default_factory=list, description="items it commits to publish")
    frequency: Literal["monthly", "quarterly", "annually"] = Field("monthly", description="how often (declared)")


class GrowthPlan(FirmSection):
    """How fast the firm means to grow if authorised in full."""

    target_customers: int = Field(ge=1, le=10_000_000, description="customers it plans to reach")
    months: int = Field(12, ge=1, le=120, description="within this many months")


class Customers(FirmSection):
    """Who the firm serves and how many, during the test and after."""

    target: str = Field("", description="target customers, in words (declared)")
    region: int = Field(
        0, ge=0, le=999, description="region of the market it serves (look-alikes are its region-mates)"
    )
    max_customers: int = Field(ge=1, description="most customers it will serve during the test (enforced)")
    growth_plan: GrowthPlan


class RiskControls(FirmSection):
    """Risk controls; those marked enforced change what the firm does in the simulation."""

    wind_down_trigger: float | None = Field(
        None,
        ge=0,
        le=1,
        description="start the exit plan when equity falls below this share of capital (enforced)",
    )
    credit_assessment: str = Field("", description="how borrowers are assessed (declared)")
    liquidity_buffer: float | None = Field(None, ge=0, le=1, description="cash kept, share of claims (declared)")


class ExitPlan(FirmSection):
    """How the firm winds down if the test fails or it must close."""

    wind_down_months: int = Field(
        ge=1, le=60, description="months of the orderly wind-down that collects its loans (enforced)"
    )
    backup_servicer: str | None = Field(None, min_length=1, description="who collects the loans if the firm cannot")
    investor_communication: str = Field("", description="how investors are told and paid (declared)")


class TrialPlan(FirmSection):
    """The test the firm applies for."""

    duration_months: int = Field(ge=1, le=120, description="months of the test")


class FirmFile(FirmSection):
    """A firm's application to the sandbox, as written in its YAML file."""

    name: str = Field(min_length=1, description="the firm's name")
    description: str = Field("", description="the firm in a sentence")
    product: Product
    licence: Licence
    investor_terms: InvestorTerms
    borrower_terms: BorrowerTerms | None = Field(
        None, validate_default=True, description="required for a lending product"
    )
    funding_model: Literal["matched", "pooled", "guaranteed"] = Field(
        description="matched: each investment funds named loans, investors bear their results; "
        "pooled: a pool promises a yield; guaranteed: a pool that also guarantees principal"
    )
    capital: float = Field(ge=0, description="paid-in capital, yuan")
    custody: Custody
    disclosure: Disclosure
    customers: Customers
    risk_controls: RiskControls = Field(default_factory=RiskControls)
    compensation_reserve: float = Field(
        0.0, ge=0, description="yuan set aside to compensate investors (outside the business)"
    )
    exit_plan: ExitPlan | None = Field(None, description="how it winds down; leave out if it has none")
    test: TrialPlan
    source: str | None = Field(None, exclude=True, description="file the firm was loaded from")

    @field_validator("borrower_terms")
    @classmethod
    def _lending_needs_borrower_terms(cls, value: BorrowerTerms | None, info: ValidationInfo) -> BorrowerTerms | None:
        product = info.data.get("product")
        if value is None and product is not None and product.type == "lending":
            raise ValueError("required for a lending product; allowed: a mapping with max_apr at least")
        return value

    @property
    def disclosure_quality(self) -> float:
        """Share of :data:`DISCLOSURE_ITEMS` the firm publishes (0 to 1)."""
        return len(set(self.disclosure.publishes)) / len(DISCLOSURE_ITEMS)

    @property
    def max_exposure(self) -> float:
        """The most investors' money the firm may hold in its test: customers times per-customer maximum."""
        return self.customers.max_customers * self.investor_terms.max_investment_per_customer


def load_firm(path: str | Path) -> FirmFile:
    """Load and validate a firm file.

    Raises:
        ScenarioError: listing every problem, each naming the file, the line,
            the field path, what was found and what is allowed (with a
            did-you-mean for unknown keys), as for scenario files.
    """
    try:
        data, lines = load_yaml(path)
    except ScenarioError as err:
        raise ScenarioError([p.replace("scenario file", "firm file") for p in err.problems]) from None
    try:
        firm = FirmFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            format_validation_error(exc, model=FirmFile, locate=line_locator(str(path), lines))
        ) from None
    firm.source = str(path)
    return firm


#: Top-level keys only a firm file has: a file with any of them is validated as a firm.
FIRM_KEYS: frozenset[str] = frozenset(
    {"product", "licence", "investor_terms", "borrower_terms", "funding_model", "compensation_reserve", "exit_plan"}
)


def is_firm_file(path: str | Path) -> bool:
    """Whether ``path`` reads as a firm file (its top level has a key of :data:`FIRM_KEYS`).

    A file that cannot be read or parsed is not a firm file here: loading it
    as a scenario reports the same problem.
    """
    try:
        data, _ = load_yaml(path)
    except ScenarioError:
        return False
    return isinstance(data, dict) and not FIRM_KEYS.isdisjoint(data)
