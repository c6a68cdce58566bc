"""Render deploy/nats/accounts.conf: one NATS user per service, permissions from the code.

Why generated: a service's durable consumer names (``<projection>__<source>``) come from its
projections, and NATS permissions match whole subject tokens only, so every durable must be
listed by name. Reading them from the service definitions keeps the config and the code in
step; ``--check`` (run by deploy/tests/test_configs.py) fails when they have drifted.

    uv run python deploy/nats/generate.py          # rewrite accounts.conf
    uv run python deploy/nats/generate.py --check  # exit 1 if it is out of date

Passwords are never written here: each user's password is an environment variable reference
(``$FINANCE_NATS_PASSWORD``), which nats-server resolves at start.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import MagicMock

from ishc_contracts import subjects
from ishc_contracts.audit import AccessRecorded
from ishc_contracts.privacy import GRANTS, keys_subject, owners_granting

HERE = Path(__file__).resolve().parent
ACCOUNTS_FILE = HERE / "accounts.conf"
ACCOUNT = "ISHC"
SERVICES = subjects.SERVICES  # membership, finance, care, advocacy: each owns a stream
READ_ONLY_SERVICES = ("reporting",)  # projections and queries only; runs without a relay


def inbox(user: str) -> str:
    """The user's reply subjects. nats-py names a reply subject `<inbox_prefix>.<nuid>`
    (JetStream API answers and pull deliveries included); every client connects with
    `inbox_prefix="_INBOX_<user>"` (ServiceSettings.nats_inbox_prefix, GatewaySettings,
    ishc_ops.connect), so a user may subscribe to its own inboxes and no one else's."""
    return f"_INBOX_{user}.>"


# Shaping streams is the `ops` user's alone (ADR 0030): the right to create or update a stream
# is the right to choose what it captures, another service's commands and replies included.
# Denied explicitly to everyone else, so that no allow-list added later can grant it.
STREAM_ADMIN = [
    f"$JS.API.STREAM.{action}.>"
    for action in ("CREATE", "UPDATE", "DELETE", "PURGE", "RESTORE", "MSG.DELETE")
]


@dataclass
class User:
    name: str
    purpose: str
    publish: list[str] = field(default_factory=list)
    subscribe: list[str] = field(default_factory=list)
    allow_responses: bool = False
    publish_deny: list[str] = field(default_factory=lambda: list(STREAM_ADMIN))

    @property
    def password_variable(self) -> str:
        return f"{self.name.upper()}_NATS_PASSWORD"


def durables_of(service: str) -> list[tuple[str, str]]:
    """(source service, durable name) for every projection and reaction of `service`."""
    definition = importlib.import_module(f"{service}.definition").definition()
    # Reactions are built from a running context; only their name and sources matter here.
    projections = [*definition.projections, *(make(MagicMock()) for make in definition.reactions)]
    return [(source, f"{p.name}__{source}") for p in projections for source in p.sources]


def consumer_rights(durables: Iterable[tuple[str, str]]) -> list[str]:
    """What a projection runner does with its own durable consumers, and nothing else."""
    rights: list[str] = []
    for source, durable in durables:
        stream = subjects.stream_name(source)
        rights += [
            f"$JS.API.STREAM.INFO.{stream}",
            # nats-py creates a named durable with its filter subject as trailing tokens
            # (server >= 2.9) or, with older servers, through DURABLE.CREATE.
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
            f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
        ]
    return list(dict.fromkeys(rights))


def own_stream_rights(service: str) -> list[str]:
    """The relay: publish own events, check its stream (declared by `ops`: ADR 0030), read
    its last message to resume."""
    stream = subjects.stream_name(service)
    return [
        subjects.all_events(service),
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
    ]


def grant_requests(reader: str) -> list[str]:
    """Asking the owners that grant `reader` some personal data for their keys (ADR 0052):
    this permission is what makes the reader's name in the request trustworthy."""
    return [keys_subject(owner) for owner in owners_granting(reader)]


def grant_answers(owner: str) -> list[str]:
    """Answering key requests, for an owner that grants anything to anyone."""
    return [keys_subject(owner)] if any(o == owner for o, _ in GRANTS) else []


def users() -> list[User]:
    found = []
    for service in SERVICES:
        found.append(
            User(
                name=service,
                purpose=f"the {service} service: relay, projections, command/query responder",
                publish=list(
                    dict.fromkeys(
                        [
                            *own_stream_rights(service),
                            *consumer_rights(durables_of(service)),
                            *grant_requests(service),
                        ]
                    )
                ),
                subscribe=[
                    subjects.all_commands(service),
                    subjects.all_queries(service),
                    *grant_answers(service),
                    inbox(service),
                ],
                allow_responses=True,
            )
        )
    for service in READ_ONLY_SERVICES:
        found.append(
            User(
                name=service,
                purpose=f"the {service} service: projections of other services' streams and"
                " queries; owns no stream, publishes no event",
                publish=[*consumer_rights(durables_of(service)), *grant_requests(service)],
                # Every Service subscribes to its command subjects (it has none: each is
                # answered "unknown command").
                subscribe=[
                    subjects.all_commands(service),
                    subjects.all_queries(service),
                    inbox(service),
                ],
                allow_responses=True,
            )
        )
    membership = subjects.stream_name("membership")
    audit = subjects.stream_name(AccessRecorded.service)
    found.append(
        User(
            name="gateway",
            purpose="HTTP gateway: sends commands and queries, follows events for live updates,"
            " records reads of personal data",
            publish=[
                "ishc.cmd.>",
                "ishc.qry.>",
                # The club directory replays MEMBERSHIP with an ordered (ephemeral) consumer.
                f"$JS.API.STREAM.INFO.{membership}",
                f"$JS.API.CONSUMER.CREATE.{membership}",
                f"$JS.API.CONSUMER.INFO.{membership}.*",
                f"$JS.API.CONSUMER.DELETE.{membership}.*",
                f"$JS.FC.{membership}.>",
                # Reads of personal data, recorded on its own stream before answering (ADR
                # 0053): publish there and check the stream (declared by ops).
                AccessRecorded.subject(),
                f"$JS.API.STREAM.INFO.{audit}",
            ],
            subscribe=[inbox("gateway"), *(subjects.all_events(s) for s in SERVICES)],
        )
    )
    found.append(
        User(
            name="ops",
            purpose="topology and operations (ishc CLI): streams, consumers, replay, reconcile",
            publish=["$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "ishc.>"],
            subscribe=[inbox("ops"), "ishc.>", "$JS.EVENT.>"],
            allow_responses=True,
            publish_deny=[],  # it declares the streams (ishc declare-streams)
        )
    )
    return found


def _list(items: list[str], indent: str) -> str:
    inner = "".join(f'{indent}  "{item}"\n' for item in items)
    return f"[\n{inner}{indent}]"


def render() -> str:
    lines = [
        "# GENERATED by deploy/nats/generate.py from the service definitions: do not edit.",
        "# One user per service; passwords come from environment variables at server start.",
        "# Permissions are allow-lists: any subject not listed is refused.",
        "# See deploy/nats/README.md for why each permission is there.",
        "",
        "accounts {",
        f"  {ACCOUNT} {{",
        "    jetstream: enabled",
        "    users: [",
    ]
    for user in users():
        indent = "          "
        lines += [
            f"      # {user.name}: {user.purpose}",
            "      {",
            f'        user: "{user.name}"',
            f"        password: ${user.password_variable}",
            "        permissions {",
            f"          publish {{ allow: {_list(user.publish, indent + '  ')}"
            + (
                f"\n            deny: {_list(user.publish_deny, indent + '  ')}"
                if user.publish_deny
                else ""
            )
            + " }",
            f"          subscribe {{ allow: {_list(user.subscribe, indent + '  ')} }}",
        ]
        if user.allow_responses:
            lines.append('          allow_responses: { max: 1, expires: "1m" }')
        lines += ["        }", "      }"]
    lines += [
        "    ]",
        "  }",
        "  SYS {",
        "    users: [",
        "      # monitoring and `nats server` commands only",
        '      { user: "sys", password: $SYS_NATS_PASSWORD }',
        "    ]",
        "  }",
        "}",
        "system_account: SYS",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if accounts.conf is stale")
    args = parser.parse_args(argv)
    wanted = render()
    if args.check:
        current = ACCOUNTS_FILE.read_text() if ACCOUNTS_FILE.exists() else ""
        if current != wanted:
            sys.stderr.write(f"{ACCOUNTS_FILE} is out of date: run deploy/nats/generate.py\n")
            return 1
        return 0
    ACCOUNTS_FILE.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
