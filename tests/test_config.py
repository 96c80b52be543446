"""Settings: defaults, simulator fallback, and clear errors naming the bad variable."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings, reveal

ALL_VARS = [
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "ST_CLIENT_ID",
    "ST_CLIENT_SECRET", "ST_APP_KEY", "ST_TENANT_ID", "ST_ENV", "ST_API_URL", "ST_AUTH_URL", "ST_TIMEZONE",
    "REDIS_URL", "ALERT_CHANNEL", "ROLE_DISPATCHERS", "ROLE_MANAGERS", "ALERT_POLL_SECONDS", "DAY_PLAN_AT",
    "ST_RATE_LIMIT",
]  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_the_simulator() -> None:
    settings = load_settings()
    assert settings.use_simulator
    assert settings.st_timezone == "America/Chicago"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.st_api_base == "https://api-integration.servicetitan.io"


def test_production_hosts_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_ENV", "production")
    assert load_settings().st_auth_base == "https://auth.servicetitan.io"
    monkeypatch.setenv("ST_API_URL", "http://127.0.0.1:8765/")
    assert load_settings().st_api_base == "http://127.0.0.1:8765"


def test_dotenv_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("ALERT_CHANNEL=C999\nST_TIMEZONE=America/New_York\n")
    settings = load_settings()
    assert settings.alert_channel == "C999"
    assert settings.st_timezone == "America/New_York"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ST_TIMEZONE", "Mars/Olympus"),
        ("ST_ENV", "staging"),
        ("ST_TENANT_ID", "abc"),
        ("REDIS_URL", "notaurl"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("ST_API_URL", "notaurl"),
        ("ST_AUTH_URL", "ftp://auth.example.com"),
        ("SLACK_API_URL", "ftp:/x"),
        ("ALERT_POLL_SECONDS", "0"),
        ("ALERT_POLL_SECONDS", "901"),
        ("ALERT_POLL_SECONDS", "soon"),
        ("DAY_PLAN_AT", "25:00"),
        ("DAY_PLAN_AT", "6am"),
        ("DAY_PLAN_AT", "never"),
        ("ST_RATE_LIMIT", "0"),
        ("ST_RATE_LIMIT", "fast"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_partial_credentials_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_CLIENT_ID", "cid")
    monkeypatch.setenv("ST_CLIENT_SECRET", "secret")
    with pytest.raises(SettingsError, match="ST_APP_KEY, ST_TENANT_ID"):
        load_settings()


def test_secrets_are_hidden_from_repr_and_revealed_only_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-very-secret",
        "SLACK_SIGNING_SECRET": "signing-very-secret",
        "SLACK_APP_TOKEN": "xapp-very-secret",
        "ST_CLIENT_SECRET": "client-very-secret",
        "ST_APP_KEY": "appkey-very-secret",
    }
    for name, value in {**secrets, "ST_CLIENT_ID": "c", "ST_TENANT_ID": "42"}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    shown = repr(settings) + str(settings.model_dump())
    assert not any(value in shown for value in secrets.values()), shown
    assert reveal(settings.slack_bot_token) == "xoxb-very-secret"
    assert reveal(settings.st_client_secret) == "client-very-secret"
    assert reveal(None) == ""


def test_an_empty_secret_counts_as_unset_in_the_all_or_none_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_CLIENT_SECRET", "")
    assert load_settings().use_simulator


def test_full_credentials_leave_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [
        ("ST_CLIENT_ID", "c"),
        ("ST_CLIENT_SECRET", "s"),
        ("ST_APP_KEY", "k"),
        ("ST_TENANT_ID", "42"),
    ]:
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert not settings.use_simulator
    assert settings.st_tenant_id == 42


def test_redis_and_api_urls_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "rediss://:secret@cache.example.com:6380/2")
    monkeypatch.setenv("ST_API_URL", "http://127.0.0.1:8765")
    settings = load_settings()
    assert settings.redis_url == "rediss://:secret@cache.example.com:6380/2"
    assert settings.st_api_base == "http://127.0.0.1:8765"
    monkeypatch.setenv("REDIS_URL", "")
    assert load_settings().redis_url is None


def test_alert_settings_defaults_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.alert_poll_seconds == 20 and settings.day_plan_at == "06:30"
    assert settings.day_plan_time is not None and settings.day_plan_time.isoformat() == "06:30:00"
    monkeypatch.setenv("ALERT_POLL_SECONDS", "900")
    monkeypatch.setenv("DAY_PLAN_AT", "7:05")
    settings = load_settings()
    assert settings.alert_poll_seconds == 900 and settings.day_plan_at == "07:05"
    monkeypatch.setenv("DAY_PLAN_AT", "off")
    assert load_settings().day_plan_time is None


def test_servicetitan_rate_limit_defaults_under_servicetitans_own(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().st_rate_limit == 55  # ServiceTitan allows 60 a second per tenant
    monkeypatch.setenv("ST_RATE_LIMIT", "1000")  # against a simulator whose own limit is off
    assert load_settings().st_rate_limit == 1000
