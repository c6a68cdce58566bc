"""Reporting settings: REPORTING_DATABASE_URL, REPORTING_NATS_URL, ..."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from ishc_runtime.service import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
