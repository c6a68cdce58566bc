"""Composition root shared by every service: settings → pool, bus, relay, projections.

A service declares what it is (`ServiceDefinition`: routes, events, projections, SQL) and
`Service` runs it. Nothing happens at import; everything is built in `start()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import asyncpg
import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from prometheus_client import start_http_server

from ishc_contracts import EventRegistry, subjects
from ishc_contracts.errors import Problem, Reply
from ishc_contracts.operations import ProjectionSourceStatus
from ishc_contracts.privacy import keys_subject, owners_granting
from ishc_runtime.aggregates import Aggregate
from ishc_runtime.clock import Clock, SystemClock
from ishc_runtime.leases import Leases
from ishc_runtime.observability.export import configure_tracing
from ishc_runtime.ownership import Ownership
from ishc_runtime.privacy import KeySource, Privacy, SubjectKeys, TransportKey
from ishc_runtime.privacy.destructions import follow_destructions
from ishc_runtime.privacy.grants import GrantedKeys, answer_grant
from ishc_runtime.privacy.transport import MAGIC, TransportError
from ishc_runtime.projections import Projection, ProjectionRunner
from ishc_runtime.projections.status import Operated, projection_status, record_lag
from ishc_runtime.projections.watch import watch
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.streams import StreamSpec, declare_stream
from ishc_runtime.service.client import reply_subject
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.dispatch import dispatch_command, dispatch_query, internal_failure
from ishc_runtime.service.health import HealthServer
from ishc_runtime.service.operations import operated_projections, with_operations
from ishc_runtime.service.routes import Routes
from ishc_runtime.service.settings import ServiceSettings
from ishc_runtime.service.startup import retry_until_connected
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.store.pool import create_pool

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    routes: Routes
    registry: EventRegistry
    migrations: Sequence[MigrationSource] = ()
    projections: Sequence[Projection] = field(default_factory=tuple)
    # Built once the context exists: their handlers send commands (see reactions.py).
    reactions: Sequence[Callable[[ServiceContext], Projection]] = field(default_factory=tuple)
    # Which club each object belongs to, and the check of every command against it (issue
    # #18). Its directory projection is listed in `projections` like any other.
    ownership: Ownership | None = None
    # The service's aggregates (the state of each stream type it writes): what operator tools
    # fold a stream with (`ishc events show`), listed here rather than found by convention.
    aggregates: Sequence[Aggregate[Any]] = field(default_factory=tuple)


class Service:
    """One running instance. Several may run side by side: requests are shared by a queue
    group, and the relay, the scheduler and each projection source run on one instance at a
    time, under a lease (`ishc_runtime.leases`)."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.clock = clock or SystemClock()
        self.stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pool: asyncpg.Pool | None = None
        self._nc: NatsClient | None = None
        self._requests: Requests | None = None
        self._context: ServiceContext | None = None
        self.leases: Leases | None = None
        self.relay: Relay | None = None
        self.runners: dict[str, ProjectionRunner] = {}
        self.health: HealthServer | None = None
        self.transport: TransportKey | None = None
        self.privacy: Privacy | None = None
        self.operated: Operated = ()
        # The service's own routes plus the operator queries every service answers.
        self.routes = with_operations(
            definition.routes, definition.name, lambda: self.operated, self._bus, self._runner_for
        )

    async def _projection_status(self) -> list[ProjectionSourceStatus]:
        assert self._pool is not None, "service not started"
        return await projection_status(self._pool, self._nc, self.operated)

    def _runner_for(self, name: str) -> ProjectionRunner | None:
        """The projection's runner in this instance, or one built for a redrive where this
        instance runs no projections (its redrive takes the lease only if nobody leads)."""
        if name in self.runners:
            return self.runners[name]
        for projection, _ in self.operated:
            if projection.name == name:
                assert self._pool is not None, "service not started"
                assert self._nc is not None, "service not started"
                return ProjectionRunner(
                    self._pool,
                    self._nc,
                    projection,
                    self.definition.registry,
                    leases=self.leases,
                    privacy=self.privacy,
                )
        return None

    def _bus(self) -> NatsClient:
        assert self._nc is not None, "service not started"
        return self._nc

    @property
    def inbox_prefix(self) -> str:
        return self.settings.nats_inbox_prefix or f"_INBOX_{self.definition.name}"

    @property
    def context(self) -> ServiceContext:
        assert self._context is not None, "service not started"
        return self._context

    async def start(self) -> None:
        """Connect (retrying until Postgres and NATS answer, or until `stopping` is set, when
        it returns without starting anything) and start every worker of this instance."""
        definition, settings = self.definition, self.settings
        # Probes first: while the dependencies come up the instance is alive and not ready.
        if settings.health_port is not None:
            self.health = HealthServer(
                settings.health_host, settings.health_port, self.readiness, self.describe
            )
            await self.health.start()
        backoff = settings.startup_backoff_max_seconds
        pool = await retry_until_connected("postgres", self._open_postgres, self.stopping, backoff)
        if pool is None:
            return
        self._pool = pool
        nc = await retry_until_connected("nats", self._open_nats, self.stopping, backoff)
        if nc is None:
            return
        self._nc = nc
        self.leases = Leases(pool, settings.instance_id, ttl=settings.lease_ttl_seconds)
        self.transport = settings.transport()
        self.privacy = await self._open_privacy(pool, nc)
        self._context = ServiceContext.build(
            definition.name,
            self._pool,
            definition.registry,
            self.clock,
            # With the built-in commands: the scheduler sends ExpireRetention to the service.
            self.routes,
            projection_status=self._projection_status,
            leases=self.leases,
            ownership=definition.ownership,
            privacy=self.privacy,
        )
        # Reactions are built even where projections do not run here: status reports them.
        self.operated = operated_projections(
            definition.projections, definition.reactions, self.context
        )
        self._requests = await self._subscribe_requests(nc)
        if settings.run_relay:
            self.relay = Relay(
                self._pool,
                self._nc,
                RelayConfig(
                    service=definition.name,
                    replicas=settings.stream_replicas,
                    duplicate_window=settings.duplicate_window_seconds,
                    declare_stream=settings.declare_stream,
                ),
                self.leases,
            )
            await self.relay.ensure_stream()
            self._spawn("relay", self.relay.run(self.stopping))
        if settings.run_projections and settings.declare_stream:
            await self._declare_record_streams()
        if settings.run_projections:
            for projection, _ in self.operated:
                # Durable consumer names live on other services' streams: prefix them.
                if not projection.name.startswith(f"{definition.name}_"):
                    msg = f"projection {projection.name!r} must be named {definition.name}_..."
                    raise ValueError(msg)
                runner = ProjectionRunner(
                    self._pool,
                    self._nc,
                    projection,
                    definition.registry,
                    leases=self.leases,
                    privacy=self.privacy,
                )
                self.runners[projection.name] = runner
                self._spawn(f"projection {projection.name}", runner.run(self.stopping))
        if settings.run_scheduler:
            self._spawn("scheduler", self.context.scheduler.run(self.stopping))
        if self.operated and settings.projection_watch_seconds > 0:
            self._spawn(
                "projection watch",
                watch(
                    self._projection_status,
                    self.stopping,
                    settings.projection_watch_seconds,
                    lambda statuses: record_lag(pool, statuses),
                ),
            )
        if settings.metrics_port is not None:
            start_http_server(settings.metrics_port, addr="127.0.0.1")
        log.info("service.started", service=definition.name, instance=settings.instance_id)

    async def _declare_record_streams(self) -> None:
        """Development and tests: the streams of records kept outside any store that this
        service projects (the gateway's access audit) exist before its consumers do.
        Deployments declare them with the others (`ishc declare-streams`, ADR 0030)."""
        sources = {s for projection, _ in self.operated for s in projection.sources}
        for source in sorted(sources & set(subjects.RECORD_STREAMS)):
            await declare_stream(self._bus().jetstream(), StreamSpec(source))

    async def _open_privacy(self, pool: asyncpg.Pool, nc: NatsClient) -> Privacy | None:
        """Field encryption when a master key is configured (ADR 0051). The master key is
        checked against the stored data keys first: a wrong or missing one stops the start
        with a clear error before anything is written."""
        master = self.settings.master_key_config()
        if master is None:
            return None
        name = self.definition.name
        keys = SubjectKeys(pool, master)
        await keys.verify()
        # Every instance, leading or not: each has its own cache of keys to keep honest.
        self._spawn("key destructions", follow_destructions(keys, self.stopping))
        transport = self.transport
        # Keys of other services travel only sealed: no transport key, no grants.
        sources: dict[str, KeySource] = (
            {o: GrantedKeys(nc, o, name, transport) for o in owners_granting(name)}
            if transport is not None
            else {}
        )
        return Privacy(name, keys, self.definition.registry, granted=sources)

    def _open_request(self, msg: Msg) -> tuple[bytes, Callable[[bytes], bytes]]:
        """The request body, opened, and how to seal the reply. With a transport key every
        request must come sealed: a clear one is refused, so no reply carrying personal data
        ever travels in clear to whoever may publish on the subject."""
        body: bytes = msg.data
        transport = self.transport
        if transport is None:
            return body, lambda reply: reply
        if not body.startswith(MAGIC):
            msg_ = "this service takes requests sealed with the transport key only"
            raise TransportError(msg_)
        subject = msg.subject
        opened = transport.open(body, subject)
        return opened, lambda reply: transport.seal(reply, reply_subject(subject))

    async def _open_postgres(self) -> asyncpg.Pool:
        settings = self.settings
        await migrate(settings.database_url, *self.definition.migrations)
        return await create_pool(
            settings.database_url,
            max_size=settings.pool_max_size,
            application_name=f"ishc-{self.definition.name}",
        )

    async def _open_nats(self) -> NatsClient:
        return await nats.connect(
            self.settings.nats_url,
            name=f"ishc-{self.definition.name}",
            max_reconnect_attempts=-1,
            inbox_prefix=self.inbox_prefix,
        )

    async def _subscribe_requests(self, nc: NatsClient) -> Requests:
        name = self.definition.name
        routes = self.routes

        async def on_command(msg: Msg) -> bytes:
            try:
                body, seal = self._open_request(msg)
            except TransportError as error:
                return _unreadable(error)
            reply = await dispatch_command(self.context, routes, body)
            return seal(reply.model_dump_json().encode())

        async def on_query(msg: Msg) -> bytes:
            try:
                body, seal = self._open_request(msg)
            except TransportError as error:
                return _unreadable(error)
            reply = await dispatch_query(self.context, routes, body)
            return seal(reply.model_dump_json().encode())

        async def on_keys(msg: Msg) -> bytes:
            assert self.privacy is not None
            assert self.transport is not None
            return await answer_grant(name, self.privacy.keys, self.transport, msg.data)

        # Core NATS request/reply with a queue group: replicas share the load, and a request
        # is answered by exactly one of them. These subjects are outside every event stream.
        # Concurrent handlers: requests on one stream conflict on its version and the
        # processor reloads and retries, so concurrency never reorders a stream's events.
        requests = Requests(nc, name, self.settings.request_concurrency)
        await requests.serve(subjects.all_commands(name), on_command)
        await requests.serve(subjects.all_queries(name), on_query)
        if self.privacy is not None and self.transport is not None:
            await requests.serve(keys_subject(name), on_keys)
        return requests

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._ended)
        self._tasks.append(task)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A worker loop ends only at stop; any other end makes the instance not ready, and
        is said here with its cause (a traceback nobody retrieved would say nothing)."""
        if self.stopping.is_set() or task.cancelled():
            return
        error = task.exception()
        log.error(
            "service.worker_ended",
            worker=task.get_name(),
            error=repr(error),
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )

    async def readiness(self) -> dict[str, bool]:
        """What /readyz reports: each dependency and worker this instance needs to serve."""
        checks = {"nats": self._nc is not None and self._nc.is_connected}
        try:
            assert self._pool is not None
            checks["postgres"] = await self._pool.fetchval("SELECT 1") == 1
        except (OSError, asyncpg.PostgresError, AssertionError, TimeoutError):
            checks["postgres"] = False
        checks["workers"] = not any(task.done() for task in self._tasks)
        checks["projections"] = not any(runner.stopped for runner in self.runners.values())
        return checks

    def describe(self) -> dict[str, object]:
        """Beside the checks in /readyz: which instance this is, the roles it leads, and the
        workers that ended (which make it not ready)."""
        leases = self.leases
        return {
            "instance": self.settings.instance_id,
            "ended": [task.get_name() for task in self._tasks if task.done()],
            "leading": sorted(leases.held) if leases else [],
            "lost": dict(leases.lost_at) if leases else {},
        }

    async def stop(self) -> None:
        if self.health is not None:
            await self.health.stop()
        self.stopping.set()
        if self._requests is not None:
            await self._requests.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=15)
            for task in pending:
                task.cancel()
        if self.leases is not None:
            await self.leases.close()
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        if self._pool is not None:
            await self._pool.close()
        log.info("service.stopped", service=self.definition.name)

    async def __aenter__(self) -> Service:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


Answer = Callable[[Msg], Coroutine[Any, Any, bytes]]


class Requests:
    """The service's request/reply subscriptions, on its own NATS connection: each request
    answered by a task of its own, at most `concurrency` of each kind at once (each waits
    for a slot, in arrival order, beyond that).

    Plain nats-py rather than a FastStream broker: its per-message machinery (middlewares,
    dependency resolution, a worker thread for the message argument, a second connection)
    cost more CPU than the handling of a command itself (bench.gateway_cpu, issue #22)."""

    def __init__(self, nc: NatsClient, service: str, concurrency: int) -> None:
        self.nc = nc
        self.service = service
        self.concurrency = concurrency
        self.subscriptions: list[Subscription] = []
        self.handling: set[asyncio.Task[None]] = set()

    async def serve(self, subject: str, answer: Answer) -> None:
        slots = asyncio.Semaphore(self.concurrency)

        async def received(msg: Msg) -> None:
            # nats-py awaits this before handing over the subscription's next message: the
            # wait for a slot is the backpressure, the answering runs in its own task.
            await slots.acquire()
            task = asyncio.create_task(self._answer(answer, msg))
            self.handling.add(task)
            task.add_done_callback(answered)

        def answered(task: asyncio.Task[None]) -> None:
            self.handling.discard(task)
            slots.release()

        self.subscriptions.append(await self.nc.subscribe(subject, queue=self.service, cb=received))

    async def _answer(self, answer: Answer, msg: Msg) -> None:
        try:
            data = await answer(msg)
        except Exception:
            # The dispatchers answer every failure with a problem; this is a bug below them.
            # The caller gets an answer naming nothing rather than waiting for its timeout.
            log.exception("request.failed", subject=msg.subject)
            data = internal_failure().model_dump_json().encode()
        if msg.reply:
            try:
                await msg.respond(data)
            except Exception as error:  # the connection is gone: the caller times out, retries
                log.warning("request.reply_lost", subject=msg.subject, error=repr(error))

    async def stop(self, timeout: float = 15.0) -> None:
        """Take no more requests, then let those in hand finish (bounded) and answer."""
        for subscription in self.subscriptions:
            with contextlib.suppress(Exception):  # a closed connection has none left anyway
                await subscription.unsubscribe()
        self.subscriptions.clear()
        if self.handling:
            await asyncio.wait(set(self.handling), timeout=timeout)


def _unreadable(error: TransportError) -> bytes:
    """The answer to a request this instance cannot open: sealed with another transport key,
    or not sealed at all where a key is configured. It names no data."""
    problem = Problem(type="transport", title="Unreadable request", status=400, detail=str(error))
    return Reply.failure(problem).model_dump_json().encode()


async def serve(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Run until SIGINT/SIGTERM (the `python -m <service>` entry point)."""
    configure_tracing(definition.name)
    service = Service(definition, settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, service.stopping.set)
    async with service:
        await service.stopping.wait()
