"""In-kind revolving support (stream `asset-<asset_id>`): an asset lent to a member, who
passes its offspring (or value) on to the next member by a due date; that is a new asset."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from finance.domain.errors import AlreadyExists, InvalidState, NotEligible, NotFound
from finance.domain.loan import MemberFact
from ishc_contracts import Event
from ishc_contracts.finance.commands import LendInKindAsset, PassOnAsset
from ishc_contracts.finance.events import (
    InKindAssetLent,
    InKindAssetPassedOn,
    InKindPassOnOverdue,
)


class Asset(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["new", "held", "passed_on"] = "new"
    club_id: UUID | None = None
    member_id: UUID | None = None
    asset_type: str = ""
    obligation: Literal["offspring", "value"] = "offspring"
    pass_on_due: date | None = None
    overdue: bool = False


def evolve(state: Asset, event: Event) -> Asset:
    match event:
        case InKindAssetLent():
            return state.model_copy(
                update={
                    "status": "held",
                    "club_id": event.club_id,
                    "member_id": event.member_id,
                    "asset_type": event.asset_type,
                    "obligation": event.pass_on,
                    "pass_on_due": event.pass_on_due,
                }
            )
        case InKindAssetPassedOn():
            return state.model_copy(update={"status": "passed_on"})
        case InKindPassOnOverdue():
            return state.model_copy(update={"overdue": True})
    return state


def _eligible(member: MemberFact | None, club_id: UUID, field: str) -> None:
    if member is None:
        raise NotFound("the member is not known to finance", field=field)
    if not member.active or member.club_id != club_id:
        raise NotEligible("only active members of the club receive support", field=field)


def lend(state: Asset, cmd: LendInKindAsset, member: MemberFact | None) -> list[Event]:
    if state.status != "new":
        raise AlreadyExists(f"asset {cmd.asset_id} exists already", field="asset_id")
    _eligible(member, cmd.club_id, "member_id")
    if cmd.pass_on_due <= cmd.lent_on:
        raise InvalidState("the pass-on is due after the loan of the asset", field="pass_on_due")
    return [InKindAssetLent(**cmd.model_dump())]


def pass_on(
    state: Asset, next_state: Asset, cmd: PassOnAsset, receiver: MemberFact | None
) -> dict[str, list[Event]]:
    """Events for the asset passed on ("held") and the next one ("next")."""
    if state.status != "held" or state.club_id is None or state.member_id is None:
        raise InvalidState(f"asset {cmd.asset_id} is not held by a member", field="asset_id")
    if next_state.status != "new":
        raise AlreadyExists(f"asset {cmd.next_asset_id} exists already", field="next_asset_id")
    _eligible(receiver, state.club_id, "to_member_id")
    if cmd.to_member_id == state.member_id:
        raise InvalidState("an asset is passed on to another member", field="to_member_id")
    passed = InKindAssetPassedOn(
        asset_id=cmd.asset_id,
        club_id=state.club_id,
        member_id=state.member_id,
        to_member_id=cmd.to_member_id,
        next_asset_id=cmd.next_asset_id,
        passed_on=cmd.passed_on,
        note=cmd.note,
    )
    lent = InKindAssetLent(
        asset_id=cmd.next_asset_id,
        club_id=state.club_id,
        member_id=cmd.to_member_id,
        asset_type=state.asset_type,
        value=cmd.value,
        lent_on=cmd.passed_on,
        pass_on=state.obligation,
        pass_on_due=cmd.next_pass_on_due,
        previous_asset_id=cmd.asset_id,
    )
    return {"held": [passed], "next": [lent]}


def check_pass_on(state: Asset, asset_id: UUID, as_of: date) -> list[Event]:
    """Overdue once, when still held after its due date; nothing otherwise."""
    if (
        state.status != "held"
        or state.overdue
        or state.pass_on_due is None
        or as_of <= state.pass_on_due
        or state.club_id is None
        or state.member_id is None
    ):
        return []
    return [
        InKindPassOnOverdue(
            asset_id=asset_id,
            club_id=state.club_id,
            member_id=state.member_id,
            pass_on_due=state.pass_on_due,
            as_of=as_of,
        )
    ]
