"""Membership settings: MEMBERSHIP_DATABASE_URL, MEMBERSHIP_NATS_URL, ..."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from ishc_runtime.service import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBERSHIP_", extra="ignore")
