"""Care settings: CARE_DATABASE_URL, CARE_NATS_URL, ..."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from ishc_runtime.service import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARE_", extra="ignore")
