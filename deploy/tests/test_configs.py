"""The deployment files parse and say what they must: probes, limits, fsync, no secrets."""

from __future__ import annotations

import re
import runpy
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

from gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[1]
APPS = ("membership", "finance", "care", "advocacy", "reporting", "gateway")
SERVICES = APPS[:-1]
STREAM_OWNERS = ("membership", "finance", "care", "advocacy")  # reporting appends no events
NATS_CONFIGS = ("nats.conf", "compose.conf")


def generator(path: Path) -> Any:
    return runpy.run_path(str(path))["main"]


# -- generated files are up to date ------------------------------------------------------------


@pytest.mark.parametrize("script", ["nats/generate.py", "k8s/generate.py"])
def test_generated_files_are_up_to_date(script: str) -> None:
    assert generator(DEPLOY / script)(["--check"]) == 0, f"run deploy/{script}"


# -- NATS server configuration -------------------------------------------------------------------


def active_lines(text: str) -> str:
    """The config without comments (`#` or `//` after a blank, to the end of the line)."""
    return "\n".join(re.sub(r"(^|\s)(#|//).*$", r"\1", line) for line in text.splitlines())


def block(text: str, name: str) -> str:
    """The body of the top-level `name { ... }` block (braces balanced)."""
    match = re.search(rf"^\s*{name}\s*[:=]?\s*\{{", text, re.MULTILINE)
    assert match, f"no {name} block"
    depth, start = 1, match.end()
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    raise AssertionError(f"unbalanced {name} block")


@pytest.mark.parametrize("name", NATS_CONFIGS)
def test_jetstream_fsyncs_every_write(name: str) -> None:
    config = active_lines((DEPLOY / "nats" / name).read_text())
    jetstream = block(config, "jetstream")
    assert re.search(r"^\s*sync_interval\s*[:=]?\s*always\s*$", jetstream, re.MULTILINE)
    assert re.search(r"^\s*store_dir\s*[:=]", jetstream, re.MULTILINE)


def test_a_commented_out_setting_does_not_count() -> None:
    text = "jetstream {\n  store_dir: /data\n  # sync_interval: always\n}\n"
    assert "always" not in block(active_lines(text), "jetstream")


@pytest.mark.parametrize("name", NATS_CONFIGS)
def test_cluster_has_three_routes_and_includes_the_users(name: str) -> None:
    config = active_lines((DEPLOY / "nats" / name).read_text())
    assert len(re.findall(r"nats-route://", block(config, "cluster"))) == 3
    assert re.search(r"^include\s+\./accounts\.conf\s*$", config, re.MULTILINE)


def test_production_config_has_tls_on_client_and_route_ports() -> None:
    config = active_lines((DEPLOY / "nats" / "nats.conf").read_text())
    assert "cert_file" in block(config, "tls")
    cluster = block(config, "cluster")
    assert re.search(r"verify\s*:\s*true", block(cluster, "tls"))


def test_no_literal_passwords() -> None:
    accounts = (DEPLOY / "nats" / "accounts.conf").read_text()
    passwords = re.findall(r"password\s*:\s*(\S+)", accounts)
    assert len(passwords) == 8
    assert all(value.startswith("$") and value.endswith("_NATS_PASSWORD") for value in passwords)


# -- compose ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def dockerfile_targets() -> set[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    return set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", text, re.MULTILINE | re.IGNORECASE))


def builds_app(service: dict[str, Any], app: str) -> bool:
    """The compose service builds the Dockerfile's one deployable stage for `app`."""
    build = service["build"]
    return bool(build["target"] == "app" and build["args"] == {"APP": app})


def console_scripts(package_dir: Path) -> set[str]:
    text = (package_dir / "pyproject.toml").read_text()
    scripts = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w-]+)\s*=", scripts, re.MULTILINE))


def test_compose_runs_three_nats_nodes_postgres_every_service_and_the_gateway(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert {"nats-1", "nats-2", "nats-3", "postgres", *APPS} <= set(services)
    for node in ("nats-1", "nats-2", "nats-3"):
        assert services[node]["command"] == ["--config", "/etc/nats/compose.conf"]
        assert services[node]["environment"]["NATS_SERVER_NAME"] == node


ONE_SHOT = frozenset({"streams"})  # steps that run to completion before the services


def test_every_compose_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name} has no healthcheck"


def test_compose_apps_build_their_own_target_and_log_in_as_themselves(
    compose: dict[str, Any],
) -> None:
    assert "app" in dockerfile_targets()
    for app in APPS:
        service = compose["services"][app]
        assert builds_app(service, app)
        url = service["environment"][f"{app.upper()}_NATS_URL"]
        assert url.startswith(f"nats://{app}:${{{app.upper()}_NATS_PASSWORD}}@")
    for app in STREAM_OWNERS:
        assert compose["services"][app]["environment"][f"{app.upper()}_STREAM_REPLICAS"] == "3"
    # Reporting has no stream and no NATS right to declare one: it must run without a relay.
    assert compose["services"]["reporting"]["environment"]["REPORTING_RUN_RELAY"] == "false"
    assert {"membership", "reporting"} <= set(compose["services"]["gateway"]["depends_on"])


def test_compose_postgres_creates_a_database_per_service(compose: dict[str, Any]) -> None:
    init = (DEPLOY / "postgres" / "init.sql").read_text()
    for app in SERVICES:
        assert f"CREATE DATABASE ishc_{app};" in init
        url = compose["services"][app]["environment"][f"{app.upper()}_DATABASE_URL"]
        assert url.endswith(f"@postgres:5432/ishc_{app}")


def test_no_secret_values_in_compose(compose: dict[str, Any]) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    for match in re.finditer(r"PASSWORD:\s*(\S+)", text):
        assert match.group(1).startswith("${"), match.group(0)


# -- Dockerfile ------------------------------------------------------------------------------------


def test_dockerfile_builds_every_app_from_one_non_root_stage() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile_targets() == {"uv", "base-build", "base-run", "build", "app"}
    run_stage = text.split("AS base-run", 1)[1].split("\nFROM ", 1)[0]
    user = re.search(r"^USER\s+(\S+)", run_stage, re.MULTILINE)
    assert user and not user.group(1).startswith(("root", "0")), "runtime stage runs as root"
    app_stage = text.split("FROM base-run AS app", 1)[1]
    assert "ENV ISHC_APP=${APP}" in app_stage
    assert 'exec \\"ishc-$ISHC_APP\\"' in app_stage
    assert 'uv sync --frozen --no-dev --no-editable --package "ishc-${APP}"' in text


@pytest.mark.parametrize("app", [*APPS, "ops"])
def test_every_app_has_the_console_script_the_image_starts(app: str) -> None:
    package_dir = DEPLOY.parent / ("ops" if app == "ops" else f"services/{app}")
    assert f"ishc-{app}" in console_scripts(package_dir)


# -- Kubernetes ------------------------------------------------------------------------------------


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert isinstance(document, dict), f"{path.name}: not a mapping"
            found.append((path.name, document))
    return found


def kinds(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_documents() if doc.get("kind") == kind]


def test_every_manifest_parses_and_names_its_kind() -> None:
    documents = k8s_documents()
    assert documents
    for name, document in documents:
        if name in {"nats-values.yaml", "kustomization.yaml"}:
            continue
        assert document.get("apiVersion") and document.get("kind"), name
        assert document["metadata"]["name"], name


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    on_disk = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")}
    assert set(kustomization["resources"]) == on_disk - {"kustomization.yaml", "nats-values.yaml"}


def test_every_deployment_has_probes_and_resource_limits() -> None:
    deployments = kinds("Deployment")
    assert {d["metadata"]["name"] for d in deployments} == set(APPS)
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            where = f"{deployment['metadata']['name']}/{container['name']}"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), where


def test_every_deployment_scales_on_cpu_and_has_a_service() -> None:
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h for h in kinds("HorizontalPodAutoscaler")}
    services = {s["metadata"]["name"] for s in kinds("Service")}
    for app in APPS:
        metric = autoscalers[app]["spec"]["metrics"][0]
        assert metric["resource"]["name"] == "cpu"
        assert autoscalers[app]["spec"]["minReplicas"] >= 2
        assert app in services


def test_every_service_has_its_own_cloudnativepg_cluster() -> None:
    clusters = {c["metadata"]["name"]: c for c in kinds("Cluster")}
    for app in SERVICES:
        cluster = clusters[f"ishc-{app}-db"]
        assert cluster["apiVersion"].startswith("postgresql.cnpg.io/")
        assert cluster["spec"]["instances"] >= 3
        deployment = next(d for d in kinds("Deployment") if d["metadata"]["name"] == app)
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        database_url = next(e for e in env if e["name"] == f"{app.upper()}_DATABASE_URL")
        assert database_url["valueFrom"]["secretKeyRef"]["name"] == f"ishc-{app}-db-app"


def test_nats_helm_values_run_three_replicas_of_jetstream_with_fsync_always() -> None:
    values = yaml.safe_load((DEPLOY / "k8s" / "nats-values.yaml").read_text())
    config = values["config"]
    assert config["cluster"]["enabled"] is True
    assert config["cluster"]["replicas"] == 3
    assert config["jetstream"]["enabled"] is True
    assert config["jetstream"]["merge"]["sync_interval"] == "always"
    assert config["cluster"]["tls"]["enabled"] and config["nats"]["tls"]["enabled"]


def test_k8s_services_own_streams_with_three_replicas_and_reporting_runs_without_a_relay() -> None:
    for deployment in kinds("Deployment"):
        app = deployment["metadata"]["name"]
        if app == "gateway":
            continue
        env = {
            e["name"]: e.get("value")
            for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        prefix = app.upper()
        if app in STREAM_OWNERS:
            assert env[f"{prefix}_STREAM_REPLICAS"] == "3", app
            assert f"{prefix}_RUN_RELAY" not in env, app
        else:
            assert env[f"{prefix}_RUN_RELAY"] == "false", app


def test_k8s_probes_reach_the_service_health_servers_from_outside_the_pod() -> None:
    for deployment in kinds("Deployment"):
        app = deployment["metadata"]["name"]
        if app == "gateway":
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        port = container["readinessProbe"]["httpGet"]["port"]
        assert env[f"{app.upper()}_HEALTH_PORT"] == str(port), app
        assert env[f"{app.upper()}_HEALTH_HOST"] == "0.0.0.0", app


def test_compose_services_serve_health_and_metrics_on_the_compose_network(
    compose: dict[str, Any],
) -> None:
    for app in SERVICES:
        environment = compose["services"][app]["environment"]
        assert environment[f"{app.upper()}_HEALTH_HOST"] == "0.0.0.0", app


def test_compose_apps_pass_the_hosts_trace_collector_through(compose: dict[str, Any]) -> None:
    for app in APPS:
        environment = compose["services"][app]["environment"]
        assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-}", app


def test_gateway_replicas_share_one_csrf_secret_from_a_secret() -> None:
    gateway = next(d for d in kinds("Deployment") if d["metadata"]["name"] == "gateway")
    env = {e["name"]: e for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert gateway["spec"]["replicas"] >= 2
    assert env["GATEWAY_CSRF_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "ishc-gateway"


def test_the_gateway_reads_the_dashboard_sign_in_from_its_config_map() -> None:
    gateway = next(d for d in kinds("Deployment") if d["metadata"]["name"] == "gateway")
    env = {e["name"]: e for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    config = next(c for c in kinds("ConfigMap") if c["metadata"]["name"] == "ishc-gateway")
    for key in ("oidc_authorization_url", "oidc_token_url", "oidc_client_id"):
        assert env[f"GATEWAY_{key.upper()}"]["valueFrom"]["configMapKeyRef"]["key"] == key
        assert config["data"][key]


def gateway_env_k8s() -> dict[str, Any]:
    gateway = next(d for d in kinds("Deployment") if d["metadata"]["name"] == "gateway")
    return {e["name"]: e for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_every_deployment_limits_each_users_requests(compose: dict[str, Any]) -> None:
    """Rate and concurrency limits are on wherever the gateway is deployed, with values the
    gateway accepts."""
    composed = compose["services"]["gateway"]["environment"]
    k8s = {name: e.get("value") for name, e in gateway_env_k8s().items()}
    for env in (composed, k8s):
        limits = {
            key: env[f"GATEWAY_{key.upper()}"]
            for key in ("rate_limit_per_minute", "max_concurrent_per_user")
        }
        settings = GatewaySettings.model_validate(
            {"dev_mode": True, "jwt_hs256_secret": secrets.token_urlsafe(32), **limits}
        )
        assert settings.rate_limit_per_minute and settings.max_concurrent_per_user


def test_dev_mode_runs_only_in_compose_and_with_a_secret_of_its_own(
    compose: dict[str, Any],
) -> None:
    composed = compose["services"]["gateway"]["environment"]
    assert (
        composed["GATEWAY_JWT_HS256_SECRET"] == "${GATEWAY_JWT_HS256_SECRET:?set it in deploy/.env}"
    )
    assert "GATEWAY_JWT_HS256_SECRET=" in (DEPLOY / ".env.example").read_text()
    k8s = gateway_env_k8s()
    assert "GATEWAY_DEV_MODE" not in k8s and "GATEWAY_JWT_HS256_SECRET" not in k8s
    assert k8s["GATEWAY_JWKS_URL"]["valueFrom"]["configMapKeyRef"]["key"] == "jwks_url"


def test_streams_are_declared_by_the_ops_step_and_only_checked_by_the_services(
    compose: dict[str, Any],
) -> None:
    """ADR 0030: no service user may shape a stream, so a deployment declares them first as
    the ops user, and every service's relay only checks its own."""
    step = compose["services"]["streams"]
    assert builds_app(step, "ops")
    assert step["command"][0] == "declare-streams"
    assert step["environment"]["ISHC_NATS_URL"].startswith("nats://ops:${OPS_NATS_PASSWORD}@")
    for app in STREAM_OWNERS:
        service = compose["services"][app]
        assert service["environment"][f"{app.upper()}_DECLARE_STREAM"] == "false"
        assert service["depends_on"]["streams"] == {"condition": "service_completed_successfully"}
    (job,) = kinds("Job")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].split("/")[-1].startswith("ops:")
    assert container["args"][:1] == ["declare-streams"]
    url = next(e for e in container["env"] if e["name"] == "ISHC_NATS_URL")["value"]
    assert url.startswith("tls://ops:")
    for deployment in kinds("Deployment"):
        app = deployment["metadata"]["name"]
        env = {
            e["name"]: e.get("value")
            for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        if app in STREAM_OWNERS:
            assert env[f"{app.upper()}_DECLARE_STREAM"] == "false", app
