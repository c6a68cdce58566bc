"""Advocacy settings: ADVOCACY_DATABASE_URL, ADVOCACY_NATS_URL, ..."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from ishc_runtime.service import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ADVOCACY_", extra="ignore")
