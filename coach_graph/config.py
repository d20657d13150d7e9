"""Settings read from the environment: one object, built once and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Self

from coach_graph.mail.server import SmtpServer, parse_mail_from, parse_smtp_url
from coach_graph.pagination import MIN_KEY_BYTES as MIN_CURSOR_SECRET


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return default if raw in (None, "") else int(raw)


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    return default if raw in (None, "") else float(raw)


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    return default if raw in (None, "") else raw.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with. See README.md for each variable."""

    database_url: str = "sqlite+aiosqlite:///./coach_graph.db"
    broadcast_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8000
    token_ttl: timedelta = timedelta(days=7)
    # Failed logins within `login_window` before RATE_LIMITED: for one account from one client
    # address, and from one client address across every account.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window: timedelta = timedelta(minutes=15)
    # Sign-ups (signUp) from one client address within `sign_up_window` before RATE_LIMITED.
    sign_ups_per_address: int = 10
    sign_up_window: timedelta = timedelta(hours=1)
    # Peers whose X-Forwarded-For names the client address (reverse proxies), as networks.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = field(default_factory=tuple)
    # Database pool (file databases and PostgreSQL): connections kept, extra ones allowed, and
    # how long a request waits for one before it gets 503 with Retry-After.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_pool_timeout_seconds: float = 5.0
    # GraphQL requests served at once per process (0: as many as DB_POOL_SIZE) and how long one
    # waits for its turn before it gets 503 with Retry-After.
    max_active_requests: int = 0
    admission_timeout_seconds: float = 30.0
    # How often clients' last-active times are written (in the background).
    activity_flush_seconds: float = 5.0
    # The audit trail (SPEC "Integrations"): reads of clients' private data are written every
    # `audit_flush_seconds` (in the background) and every event is kept `audit_retention_days`.
    # `audit_trail=False` records no reads (benchmarks compare the trail on and off).
    audit_flush_seconds: float = 5.0
    audit_retention_days: int = 730
    audit_trail: bool = True
    # argon2id cost; tests lower it, production keeps the library's defaults.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    # Background jobs (journal analysis, alert evaluation, reschedule expiry, reminders).
    run_jobs: bool = True
    job_interval_seconds: float = 60.0
    # Optional OpenAI-compatible endpoint for journal insight; offline analyser when unset.
    insight_provider_url: str | None = None
    insight_provider_key: str | None = None
    insight_provider_model: str = "gpt-4o-mini"
    insight_provider_timeout_seconds: float = 10.0
    # GraphQL limits.
    max_query_depth: int = 12
    max_query_tokens: int = 4000
    max_aliases: int = 30
    # Static cost over which an operation is refused before it runs (see coach_graph/cost.py).
    query_cost_limit: int = 5000
    # Queries answered through compiled plans (coach_graph/execution/); off: graphql-core alone.
    compiled_queries: bool = True
    # Every compiled query answered by graphql-core too, and the two answers compared (a
    # difference is INTERNAL): the test suite's check of coach_graph/execution/. Doubles the work.
    execution_check: bool = False
    max_subscriptions_per_connection: int = 10
    # HTTP: a request body over this many bytes is refused with 413 before it is read whole.
    max_body_bytes: int = 1024 * 1024
    # Live events: undelivered events one subscriber may hold before it is cut off, and how
    # often websockets are checked for an expired or revoked token (closed within that time).
    subscriber_queue_size: int = 256
    token_check_seconds: float = 1.0
    # How long an HTTP request may trust what another request of this process read of its bearer
    # token (0: read it every time): a logout elsewhere takes effect here within that time.
    token_cache_seconds: float = 2.0
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    # The self-hosted GraphiQL page (GET /graphql from a browser) and schema introspection;
    # production may turn either off.
    graphiql: bool = True
    introspection: bool = True
    # Browsers on ALLOWED_ORIGINS may cache a CORS preflight answer this long.
    cors_max_age_seconds: int = 600
    # Apollo's automatic persisted queries: documents kept per worker (an LRU), and how long a
    # document stays in Redis (shared by every worker) when BROADCAST_URL is redis://.
    apq_cache_size: int = 1000
    apq_ttl_seconds: int = 86400
    # Prometheus metrics on /metrics; tracing (OTLP over HTTP) when an endpoint is given.
    metrics: bool = True
    otel_endpoint: str | None = None
    # Money defaults for a new coach's services (minor units).
    default_currency: str = "EUR"
    default_prices_minor: tuple[int, int, int] = (5000, 7000, 9000)
    # E-mail: SMTP_URL (parsed) to send mail; without it the outbox only logs.
    smtp: SmtpServer | None = None
    mail_from: str = "coach_graph <no-reply@localhost>"
    practice_name: str = "coach_graph"
    # The video call of a session: {room} becomes the session's unguessable meeting room.
    meeting_url_template: str = "https://meet.jit.si/{room}"
    # New messages mail their recipient at most once per conversation within this interval.
    message_mail_interval: timedelta = timedelta(seconds=900)
    # Webhooks may go to loopback, private and link-local addresses (tests, private networks).
    webhook_allow_private: bool = False
    # The key that signs cursors, the same in every worker; None: a random key made once and
    # kept in the database (stored_keys.py).
    cursor_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Self:
        """Read the settings from `env` (default: the process environment)."""
        env = dict(os.environ if env is None else env)
        defaults = cls()
        origins = tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        prices = env.get("DEFAULT_PRICES_MINOR")
        smtp_url = env.get("SMTP_URL")
        mail_from = env.get("MAIL_FROM") or defaults.mail_from
        parse_mail_from(mail_from)  # refused at start, not at the first mail
        if _int(env, "AUDIT_RETENTION_DAYS", defaults.audit_retention_days) < 1:
            raise ValueError("AUDIT_RETENTION_DAYS needs at least 1 day")
        cursor_secret = env.get("CURSOR_SECRET") or None
        if cursor_secret is not None and len(cursor_secret.encode()) < MIN_CURSOR_SECRET:
            raise ValueError(f"CURSOR_SECRET needs at least {MIN_CURSOR_SECRET} bytes")
        return cls(
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            broadcast_url=env.get("BROADCAST_URL") or defaults.broadcast_url,
            host=env.get("HOST") or defaults.host,
            port=_int(env, "PORT", defaults.port),
            token_ttl=timedelta(
                seconds=_int(env, "TOKEN_TTL_SECONDS", int(defaults.token_ttl.total_seconds()))
            ),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", defaults.login_max_failures),
            login_max_failures_per_address=_int(
                env, "LOGIN_MAX_FAILURES_PER_ADDRESS", defaults.login_max_failures_per_address
            ),
            sign_ups_per_address=_int(env, "SIGN_UPS_PER_ADDRESS", defaults.sign_ups_per_address),
            trusted_proxies=tuple(
                ip_network(p.strip(), strict=False)
                for p in env.get("TRUSTED_PROXIES", "").split(",")
                if p.strip()
            ),
            db_pool_size=_int(env, "DB_POOL_SIZE", defaults.db_pool_size),
            db_max_overflow=_int(env, "DB_MAX_OVERFLOW", defaults.db_max_overflow),
            db_pool_timeout_seconds=_float(
                env, "DB_POOL_TIMEOUT_SECONDS", defaults.db_pool_timeout_seconds
            ),
            max_active_requests=_int(env, "MAX_ACTIVE_REQUESTS", defaults.max_active_requests),
            admission_timeout_seconds=_float(
                env, "ADMISSION_TIMEOUT_SECONDS", defaults.admission_timeout_seconds
            ),
            activity_flush_seconds=_float(
                env, "ACTIVITY_FLUSH_SECONDS", defaults.activity_flush_seconds
            ),
            audit_flush_seconds=_float(env, "AUDIT_FLUSH_SECONDS", defaults.audit_flush_seconds),
            audit_retention_days=_int(env, "AUDIT_RETENTION_DAYS", defaults.audit_retention_days),
            audit_trail=_flag(env, "AUDIT_TRAIL", defaults.audit_trail),
            run_jobs=env.get("RUN_JOBS", "1") not in ("0", "false", "no"),
            job_interval_seconds=_float(env, "JOB_INTERVAL_SECONDS", defaults.job_interval_seconds),
            insight_provider_url=env.get("INSIGHT_PROVIDER_URL") or None,
            insight_provider_key=env.get("INSIGHT_PROVIDER_KEY") or None,
            insight_provider_model=env.get("INSIGHT_PROVIDER_MODEL")
            or defaults.insight_provider_model,
            insight_provider_timeout_seconds=_float(
                env, "INSIGHT_PROVIDER_TIMEOUT_SECONDS", defaults.insight_provider_timeout_seconds
            ),
            allowed_origins=origins,
            graphiql=_flag(env, "GRAPHIQL", defaults.graphiql),
            introspection=_flag(env, "INTROSPECTION", defaults.introspection),
            cors_max_age_seconds=_int(env, "CORS_MAX_AGE_SECONDS", defaults.cors_max_age_seconds),
            apq_cache_size=_int(env, "APQ_CACHE_SIZE", defaults.apq_cache_size),
            apq_ttl_seconds=_int(env, "APQ_TTL_SECONDS", defaults.apq_ttl_seconds),
            metrics=_flag(env, "METRICS", defaults.metrics),
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            max_body_bytes=_int(env, "MAX_BODY_BYTES", defaults.max_body_bytes),
            query_cost_limit=_int(env, "QUERY_COST_LIMIT", defaults.query_cost_limit),
            compiled_queries=_flag(env, "COMPILED_QUERIES", defaults.compiled_queries),
            execution_check=_flag(env, "EXECUTION_CHECK", defaults.execution_check),
            subscriber_queue_size=_int(
                env, "SUBSCRIBER_QUEUE_SIZE", defaults.subscriber_queue_size
            ),
            token_check_seconds=_float(env, "TOKEN_CHECK_SECONDS", defaults.token_check_seconds),
            token_cache_seconds=_float(env, "TOKEN_CACHE_SECONDS", defaults.token_cache_seconds),
            default_currency=env.get("DEFAULT_CURRENCY") or defaults.default_currency,
            default_prices_minor=(
                tuple(int(p) for p in prices.split(","))  # type: ignore[arg-type]
                if prices
                else defaults.default_prices_minor
            ),
            smtp=parse_smtp_url(smtp_url) if smtp_url else None,
            mail_from=mail_from,
            practice_name=env.get("PRACTICE_NAME") or defaults.practice_name,
            meeting_url_template=env.get("MEETING_URL_TEMPLATE") or defaults.meeting_url_template,
            message_mail_interval=timedelta(
                seconds=_int(
                    env,
                    "MESSAGE_MAIL_INTERVAL_SECONDS",
                    int(defaults.message_mail_interval.total_seconds()),
                )
            ),
            cursor_secret=cursor_secret,
            webhook_allow_private=_flag(
                env, "WEBHOOK_ALLOW_PRIVATE", defaults.webhook_allow_private
            ),
        )

    def with_(self, **changes: object) -> Settings:
        """A copy with some settings changed (tests use it)."""
        return replace(self, **changes)  # type: ignore[arg-type]
