"""Settings for the workbench, read from WORKBENCH_* environment variables.

Every setting has an embedded default so that `workbench demo` works on a fresh machine:
SQLite under WORKBENCH_DATA_DIR (default ./instance), in-process jobs, local accounts.
Production deployments set WORKBENCH_DATABASE_URL (PostgreSQL), WORKBENCH_SECRET_KEY and
WORKBENCH_REDIS_URL; see README.md for the full list.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _secret_key(data_dir: Path) -> str:
    """Use WORKBENCH_SECRET_KEY, else a key generated once and kept in the data dir.

    Keeping the generated key on disk means sessions survive a restart of the embedded
    install; a multi-host deployment must set WORKBENCH_SECRET_KEY explicitly.
    """
    configured = os.environ.get("WORKBENCH_SECRET_KEY")
    if configured:
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def build_config(overrides: dict | None = None) -> dict:
    """Return the Flask config mapping: defaults, then environment, then `overrides`."""
    overrides = dict(overrides or {})
    data_dir = Path(
        overrides.pop("DATA_DIR", None) or os.environ.get("WORKBENCH_DATA_DIR", "instance")
    ).resolve()
    database_url = os.environ.get("WORKBENCH_DATABASE_URL") or f"sqlite:///{data_dir / 'workbench.db'}"
    redis_url = os.environ.get("WORKBENCH_REDIS_URL")
    secret_key = overrides.pop("SECRET_KEY", None) or _secret_key(data_dir)

    config: dict = {
        "DATA_DIR": str(data_dir),
        "UPLOAD_DIR": str(data_dir / "uploads"),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The file store's limit for one upload (workbench.files); a request may carry a little more.
        "WORKBENCH_UPLOAD_MAX_BYTES": int(os.environ.get("WORKBENCH_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)),
        "MAX_CONTENT_LENGTH": max(20 * 1024 * 1024,
                                  int(os.environ.get("WORKBENCH_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)) + 1024 * 1024),
        # Plugins: None means every installed plugin; a list is an allow-list of entry-point names.
        "WORKBENCH_PLUGINS": _env_list("WORKBENCH_PLUGINS"),
        "WORKBENCH_REDIS_URL": redis_url,
        # Homepage widget cache (workbench/homepage/widget_cache.py): on with Redis; "off" or
        # "memory" (single process only) override; a Redis of its own via ..._CACHE_URL.
        "WORKBENCH_WIDGET_CACHE": os.environ.get("WORKBENCH_WIDGET_CACHE"),
        "WORKBENCH_WIDGET_CACHE_URL": os.environ.get("WORKBENCH_WIDGET_CACHE_URL"),
        # Background jobs (workbench.jobs). Without WORKBENCH_REDIS_URL they run in-process.
        "WORKBENCH_JOBS_INPROCESS": _env_bool("WORKBENCH_JOBS_INPROCESS", False),
        "WORKBENCH_JOBS_QUEUE": os.environ.get("WORKBENCH_JOBS_QUEUE", "workbench"),
        "WORKBENCH_JOBS_KEY_PREFIX": os.environ.get("WORKBENCH_JOBS_KEY_PREFIX", "workbench:"),
        # Redis hands an unacknowledged job to another worker after this many seconds.
        "WORKBENCH_JOBS_VISIBILITY_TIMEOUT": int(os.environ.get("WORKBENCH_JOBS_VISIBILITY_TIMEOUT", 3600)),
        # A claimed job whose worker shows no sign of life for this long may be claimed again.
        "WORKBENCH_JOBS_LEASE_SECONDS": int(os.environ.get("WORKBENCH_JOBS_LEASE_SECONDS", 3300)),
        # A queued job not started after this long is sent again (the broker may have lost it).
        "WORKBENCH_JOBS_REQUEUE_AFTER": int(os.environ.get("WORKBENCH_JOBS_REQUEUE_AFTER", 3900)),
        "WORKBENCH_JOBS_KEEP_DAYS": int(os.environ.get("WORKBENCH_JOBS_KEEP_DAYS", 14)),
        "WORKBENCH_ADMIN_2FA_REQUIRED": _env_bool("WORKBENCH_ADMIN_2FA_REQUIRED", False),
        "WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            "WORKBENCH_LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"
        ),
        "WORKBENCH_LOGIN_LIMIT_PER_ADDRESS": os.environ.get(
            "WORKBENCH_LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes"
        ),
        "WORKBENCH_PAGE_SIZE": 20,
        # Single sign-on (OpenID Connect). Unset issuer = SSO button hidden.
        "WORKBENCH_OIDC_ISSUER": os.environ.get("WORKBENCH_OIDC_ISSUER"),
        "WORKBENCH_OIDC_CLIENT_ID": os.environ.get("WORKBENCH_OIDC_CLIENT_ID"),
        "WORKBENCH_OIDC_CLIENT_SECRET": os.environ.get("WORKBENCH_OIDC_CLIENT_SECRET"),
        "WORKBENCH_OIDC_SCOPE": os.environ.get("WORKBENCH_OIDC_SCOPE", "openid profile email"),
        "WORKBENCH_OIDC_UNIT_CLAIM": os.environ.get("WORKBENCH_OIDC_UNIT_CLAIM", "org_unit_code"),
        "WORKBENCH_OIDC_ROLES_CLAIM": os.environ.get("WORKBENCH_OIDC_ROLES_CLAIM", "roles"),
        "WORKBENCH_OIDC_LABEL": os.environ.get("WORKBENCH_OIDC_LABEL", ""),
        # i18n
        "BABEL_DEFAULT_LOCALE": os.environ.get("WORKBENCH_DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("WORKBENCH_TIMEZONE", "Asia/Shanghai"),
        "WORKBENCH_LOCALES": ["zh_CN", "en"],
        # Sessions: signed cookies, so the web tier keeps no state.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("WORKBENCH_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        # Flask-Security-Too
        "SECURITY_PASSWORD_HASH": "argon2",
        "SECURITY_PASSWORD_SALT": os.environ.get("WORKBENCH_PASSWORD_SALT", "workbench-salt"),
        "SECURITY_USERNAME_ENABLE": True,
        "SECURITY_USERNAME_REQUIRED": True,
        "SECURITY_USERNAME_MIN_LENGTH": 2,
        "SECURITY_USERNAME_MAX_LENGTH": 64,
        "SECURITY_USER_IDENTITY_ATTRIBUTES": [
            {"username": {"mapper": "workbench.auth.identity:username_mapper", "case_insensitive": True}},
        ],
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        "SECURITY_LOGOUT_METHODS": ["POST"],
        "SECURITY_TRACKABLE": True,
        "SECURITY_CHANGEABLE": True,
        "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": False,
        "SECURITY_REGISTERABLE": False,
        "SECURITY_RECOVERABLE": False,
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
        "SECURITY_TOTP_ISSUER": "Workbench",
        "SECURITY_TOTP_SECRETS": {"1": os.environ.get("WORKBENCH_TOTP_SECRET", secret_key)},
        "SECURITY_TWO_FACTOR_RESCUE_MAIL": "",
        # Flask-Security adds it to a datetime: it must be a timedelta, not seconds.
        "SECURITY_FRESHNESS_GRACE_PERIOD": timedelta(hours=1),
        "SECURITY_POST_LOGIN_VIEW": "homepage.index",
        "SECURITY_POST_LOGOUT_VIEW": "security.login",
        "SECURITY_TOKEN_AUTHENTICATION_HEADER": "Authentication-Token",
        # No token in query strings or JSON bodies (Flask-Security's default "auth_token"):
        # URLs end up in logs and Referer headers. The header above is the only way in.
        "SECURITY_TOKEN_AUTHENTICATION_KEY": None,
        "SECURITY_TOKEN_MAX_AGE": 30 * 24 * 3600,
        "SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS": False,
        "SECURITY_MSG_INVALID_PASSWORD": ("Invalid username or password", "error"),
        "SECURITY_MSG_USER_DOES_NOT_EXIST": ("Invalid username or password", "error"),
        "SECURITY_MSG_PASSWORD_NOT_SET": ("Invalid username or password", "error"),
        "SECURITY_MSG_GENERIC_AUTHN_FAILED": ("Invalid username or password", "error"),
        "SECURITY_FLASH_MESSAGES": True,
        # Flask-Security's own catalogue, then ours (which adds and corrects zh messages).
        "SECURITY_I18N_DIRNAME": ["builtin", str(Path(__file__).parent / "translations")],
        # Rate limiting: in memory for one process, Redis when deployed on several.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down must not take sign-in down with it: count in memory until it is back.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_KEY_PREFIX": "workbench-limits",
        # JSON API (flask-smorest)
        "API_TITLE": "Workbench API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
    config.update(overrides)
    if "SQLALCHEMY_ENGINE_OPTIONS" not in config:
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            # The busy timeout makes concurrent writers wait instead of failing.
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
        else:
            # No ping on every checkout: workbench/connection_health.py pings idle ones only.
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": False}
    return config
