"""Upcasters for care events: (wire name, from_version) -> function lifting a payload one
version; see contracts/README.md before adding one."""

from __future__ import annotations

from ishc_contracts.registry import Upcaster, sealed_since_v2

# Personal fields marked Sensitive() in v2 (ADR 0050): same shape, sealed from then on.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("care.CareReferralReceived", 1): sealed_since_v2,
}
