"""Settings from the environment and `.env` (shared/CONTRACT.md section 3), validated once at start-up."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ST_HOSTS: dict[str, tuple[str, str]] = {
    # ST_ENV -> (API base URL, auth base URL); shared/servicetitan/README.md section 1.
    "integration": ("https://api-integration.servicetitan.io", "https://auth-integration.servicetitan.io"),
    "production": ("https://api.servicetitan.io", "https://auth.servicetitan.io"),
}
ST_CREDENTIALS = ("st_client_id", "st_client_secret", "st_app_key", "st_tenant_id")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    """Every setting of the bot. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Secrets are SecretStr: a repr, a log line or a validation error shows "**********", never the value.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    st_client_id: str | None = None
    st_client_secret: SecretStr | None = None
    st_app_key: SecretStr | None = None
    st_tenant_id: int | None = None
    st_env: Literal["integration", "production"] = "integration"
    st_api_url: str | None = None
    st_auth_url: str | None = None
    st_timezone: str = "America/Chicago"
    # ServiceTitan requests per second per tenant that all processes of the bot allow themselves together
    # (ServiceTitan's own limit is 60); above 60 only against a simulator whose limit is off (benchmarks).
    st_rate_limit: int = Field(default=55, ge=1, le=100_000)

    redis_url: str | None = None
    alert_channel: str | None = None
    role_dispatchers: str | None = None
    role_managers: str | None = None

    dialog_ttl_minutes: int = Field(default=30, gt=0)
    alert_poll_seconds: int = Field(default=20, ge=1, le=900)
    day_plan_at: str = "06:30"  # HH:MM in each technician's zone, or "off"

    @field_validator("st_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("day_plan_at")
    @classmethod
    def _hh_mm_or_off(cls, value: str) -> str:
        text = value.strip().lower()
        if text == "off":
            return text
        try:
            parsed = time.fromisoformat(text.zfill(5)) if re.fullmatch(r"\d{1,2}:\d{2}", text) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValueError(f"{value!r} is not a time HH:MM (24-hour) or off")
        return parsed.strftime("%H:%M")

    @field_validator("slack_api_url", "st_api_url", "st_auth_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None if value is None else value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None  # an empty REDIS_URL means the in-process store, like an unset one
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss", "unix") or (parts.scheme != "unix" and not parts.netloc):
            raise ValueError(f"{value!r} is not a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _credentials_all_or_none(self) -> Settings:
        given = [name for name in ST_CREDENTIALS if _text(getattr(self, name))]
        if given and len(given) != len(ST_CREDENTIALS):
            missing = [name.upper() for name in ST_CREDENTIALS if name not in given]
            raise ValueError(
                "ServiceTitan credentials are partial: set all of ST_CLIENT_ID, ST_CLIENT_SECRET, "
                f"ST_APP_KEY, ST_TENANT_ID or none of them (missing: {', '.join(missing)})"
            )
        return self

    @property
    def use_simulator(self) -> bool:
        """Without ServiceTitan credentials the bot runs on the embedded simulator."""
        return self.st_client_id in (None, "")

    @property
    def st_api_base(self) -> str:
        return (self.st_api_url or ST_HOSTS[self.st_env][0]).rstrip("/")

    @property
    def st_auth_base(self) -> str:
        return (self.st_auth_url or ST_HOSTS[self.st_env][1]).rstrip("/")

    @property
    def day_plan_time(self) -> time | None:
        """DAY_PLAN_AT as a time, or None when it is off."""
        return None if self.day_plan_at == "off" else time.fromisoformat(self.day_plan_at)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.st_timezone)

    @staticmethod
    def id_list(value: str | None) -> frozenset[str]:
        return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def reveal(secret: SecretStr | None) -> str:
    """A secret's value where it is handed to Slack or ServiceTitan ("" when unset)."""
    return secret.get_secret_value() if secret is not None else ""


def _text(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return "" if value is None else str(value)


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings once; a bad or missing variable raises `SettingsError` naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = "_".join(str(part) for part in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
