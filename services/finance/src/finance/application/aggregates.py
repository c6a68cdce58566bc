"""The aggregates finance's streams fold into: stream types equal the events' `aggregate`."""

from __future__ import annotations

from finance.domain import asset, borrower, fund, loan, product
from ishc_runtime.aggregates import Aggregate

FUND = Aggregate(stream_type="fund", initial=fund.Fund(), evolve=fund.evolve, snapshot_every=200)
LOAN = Aggregate(stream_type="loan", initial=loan.Loan(), evolve=loan.evolve, snapshot_every=None)
PRODUCT = Aggregate(stream_type="product", initial=product.Product(), evolve=product.evolve)
ASSET = Aggregate(stream_type="asset", initial=asset.Asset(), evolve=asset.evolve)
BORROWER = Aggregate(stream_type="borrower", initial=borrower.Borrower(), evolve=borrower.evolve)

# Every aggregate of the service, as its definition lists them.
AGGREGATES = (FUND, LOAN, PRODUCT, ASSET, BORROWER)
