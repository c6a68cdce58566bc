"""The order in which tests find infrastructure: env URLs, then Docker, then embedded."""

from __future__ import annotations

import pytest

from ishc_runtime.testing.databases import database_name, with_database
from ishc_runtime.testing.infrastructure import (
    BACKEND_ENV,
    DATABASE_URL_ENV,
    NATS_URL_ENV,
    Backend,
    BackendChoice,
    choose_backends,
    redact,
)

pytestmark = pytest.mark.unit

BOTH_URLS = {
    DATABASE_URL_ENV: "postgresql://u:p@db.example:5432/postgres",
    NATS_URL_ENV: "nats://nats.example:4222",
}


def docker_must_not_be_probed() -> bool:
    raise AssertionError("Docker was probed although it was not needed")


class DockerProbe:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.answer


def test_environment_urls_win_without_probing_docker() -> None:
    choice = choose_backends(BOTH_URLS, docker_must_not_be_probed)
    assert choice == BackendChoice(postgres=Backend.ENVIRONMENT, nats=Backend.ENVIRONMENT)


def test_environment_urls_win_even_when_a_fallback_is_pinned() -> None:
    env = {**BOTH_URLS, BACKEND_ENV: "embedded"}
    assert choose_backends(env, docker_must_not_be_probed).postgres is Backend.ENVIRONMENT


def test_no_urls_and_no_docker_means_embedded() -> None:
    probe = DockerProbe(answer=False)
    choice = choose_backends({}, probe)
    assert choice == BackendChoice(postgres=Backend.EMBEDDED, nats=Backend.EMBEDDED)
    assert probe.calls == 1


def test_no_urls_and_docker_answering_means_testcontainers() -> None:
    probe = DockerProbe(answer=True)
    choice = choose_backends({}, probe)
    assert choice == BackendChoice(postgres=Backend.TESTCONTAINERS, nats=Backend.TESTCONTAINERS)
    assert probe.calls == 1


def test_blank_urls_count_as_unset() -> None:
    env = {DATABASE_URL_ENV: "  ", NATS_URL_ENV: ""}
    assert choose_backends(env, DockerProbe(answer=False)).postgres is Backend.EMBEDDED


def test_each_service_falls_back_on_its_own() -> None:
    env = {DATABASE_URL_ENV: BOTH_URLS[DATABASE_URL_ENV]}
    choice = choose_backends(env, DockerProbe(answer=False))
    assert choice == BackendChoice(postgres=Backend.ENVIRONMENT, nats=Backend.EMBEDDED)


@pytest.mark.parametrize(
    ("pinned", "expected"),
    [("embedded", Backend.EMBEDDED), ("TestContainers", Backend.TESTCONTAINERS)],
)
def test_pinned_fallback_skips_the_docker_probe(pinned: str, expected: Backend) -> None:
    choice = choose_backends({BACKEND_ENV: pinned}, docker_must_not_be_probed)
    assert choice == BackendChoice(postgres=expected, nats=expected)


def test_unknown_pinned_fallback_fails_instead_of_guessing() -> None:
    with pytest.raises(ValueError, match=BACKEND_ENV):
        choose_backends({BACKEND_ENV: "docker"}, docker_must_not_be_probed)


def test_redact_hides_passwords_only() -> None:
    assert redact("postgresql://u:secret@h:1/db") == "postgresql://u:***@h:1/db"
    assert redact("postgresql://postgres@127.0.0.1:5/db") == "postgresql://postgres@127.0.0.1:5/db"


def test_database_names_are_unique_valid_identifiers() -> None:
    names = {database_name("test_x[Param-1] " + "y" * 80) for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert len(name) <= 63
        assert name.startswith("t_test_x_param_1_y")
        assert name.replace("_", "").isalnum()
        assert name == name.lower()


def test_with_database_keeps_everything_but_the_path() -> None:
    dsn = "postgresql://u:p@h:5433/postgres?sslmode=disable"
    assert with_database(dsn, "t_a_1") == "postgresql://u:p@h:5433/t_a_1?sslmode=disable"
