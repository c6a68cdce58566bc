"""A club's loan product: versions of terms, effective-dated (stream `product-<club_id>`)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from finance.domain.errors import OutsideProduct
from finance.domain.rules import DEFAULT_PRODUCT, ProductTerms
from ishc_contracts import Event
from ishc_contracts.finance.commands import DefineLoanProduct
from ishc_contracts.finance.events import LoanProductDefined


class Product(BaseModel):
    model_config = ConfigDict(frozen=True)

    versions: tuple[ProductTerms, ...] = ()

    def terms_on(self, day: date) -> ProductTerms:
        """The version in force on `day`; the built-in default before any."""
        found = DEFAULT_PRODUCT
        for terms in self.versions:
            if terms.effective_from <= day:
                found = terms
        return found


def evolve(state: Product, event: Event) -> Product:
    if isinstance(event, LoanProductDefined):
        terms = ProductTerms.model_validate(event.model_dump(exclude={"club_id"}))
        return state.model_copy(update={"versions": (*state.versions, terms)})
    return state


def define_product(state: Product, cmd: DefineLoanProduct) -> list[Event]:
    if cmd.min_principal > cmd.max_principal:
        raise OutsideProduct("min_principal is above max_principal", field="min_principal")
    if cmd.grace_months >= cmd.term_months:
        raise OutsideProduct("grace must leave a month to repay in", field="grace_months")
    if state.versions and cmd.effective_from < state.versions[-1].effective_from:
        raise OutsideProduct(
            "a new version cannot take effect before the current one", field="effective_from"
        )
    return [LoanProductDefined(**cmd.model_dump(), version=len(state.versions) + 1)]
