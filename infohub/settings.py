"""InfoHub settings, read from the environment (django-environ).

The defaults are those of the embedded demo started by `make run`; production overrides live in
`infohub.settings_production`, which must pass `manage.py check --deploy`.
"""

import math
from pathlib import Path

import environ
from celery.schedules import crontab  # noqa: F401  (kept at hand for CELERY_BEAT_SCHEDULE rows)
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-demo-key-change-me-in-production-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "infohub.vendor_apps.AxesConfig",  # django-axes, named in the reader's language
    "import_export",
    "infohub",
    "submissions",
    "reviews",
    "alerts",
    "publications",
    "followup",
    "instructions",
    "topics",
    "assessment",
    "project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "infohub.text.NormalizeInput",  # what people type, normalised once for every view (SPEC §3)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "infohub.middleware.HtmxLoginRedirect",  # an expired session answers htmx with HX-Redirect, not a 302
    "infohub.middleware.MethodNotAllowedPage",  # a page asked with a method it does not take: 405 in the site's frame
    "infohub.idempotency.IdempotencyMiddleware",  # a form posted twice, an API call retried: recorded once
    # Last, so that a locked-out login is answered before anything else looks at it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "infohub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "infohub.context_processors.infohub",
            ],
            "builtins": ["infohub.templatetags.infohub"],  # {% once %} in every form, without a load
        },
    },
    {
        # Only the rows of the inbox, the sign-off list, the urgent queue and the item list (see infohub.jinja2).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "infohub.jinja2.environment"},
    },
]

# --- Data stores -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/infohub")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # Server-side binding, and a statement run five times on a connection is prepared: Postgres then plans the
    # list pages' joins once per connection instead of on every request (a third or more of
    # their database time, measured).
    # Turn off behind PgBouncer in transaction mode, which cannot keep prepared statements.
    DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
if env.bool("DATABASE_POOL", default=False):
    # psycopg 3's pool: one per process; do not combine with CONN_MAX_AGE.
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 2, "max_size": env.int("DATABASE_POOL_SIZE", default=10)}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="infohub"),
    }
}

# --- Authentication ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "infohub.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "infohub.auth.InfoHubBackend",  # ModelBackend, loading the user with their roles and unread count
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_ENGINE = "infohub.sessions"  # read from Redis, written through to the database (see there)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # one working shift
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# django-axes: offices share one NAT address, so lock a username at an address, never a whole address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A retry during the lock (a system retrying every ten minutes) must not start the lock again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- Internationalisation: Simplified Chinese first, English available ----------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "/media/"
# Attachments are small office documents; the web server refuses anything bigger before Django sees it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The one periodic job: the deadline sweep. Each message expires after one interval, so a stopped worker
# never comes back to a pile of stale sweeps; the next one catches up everything that fell due.
INFOHUB_SWEEP_SECONDS = env.float("INFOHUB_SWEEP_SECONDS", default=2.0)
# Sweeps have a queue of their own, which every worker consumes beside the default one: in the default queue
# they waited behind the e-mail/SMS deliveries of the last sweep's breaches, expired there, and left one worker
# process sweeping alone while the clocks fell due faster than it breached them (tests/bench/bench_alerts.py).
CELERY_TASK_QUEUES = (Queue("celery"), Queue("sweeps"))
CELERY_BEAT_SCHEDULE: dict = {
    "alerts-sweep": {
        "task": "alerts.tasks.sweep",
        "schedule": INFOHUB_SWEEP_SECONDS,
        # django_celery_beat's DatabaseScheduler reads `expire_seconds` (whole seconds) and silently drops `expires`.
        "options": {"expire_seconds": max(1, math.ceil(INFOHUB_SWEEP_SECONDS)), "queue": "sweeps"},
    },
}
# The follow-up sweep (督办: instructions, topic requests): reminders, 催办 and overdue records, every obligation model
# registered with followup.sweep in one task. Due times are days apart; a pass with nothing due is one indexed query
# per model.
INFOHUB_FOLLOWUP_SWEEP_SECONDS = env.float("INFOHUB_FOLLOWUP_SWEEP_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE["followup-sweep"] = {
    "task": "followup.tasks.sweep",
    "schedule": INFOHUB_FOLLOWUP_SWEEP_SECONDS,
    "options": {"expire_seconds": max(1, math.ceil(INFOHUB_FOLLOWUP_SWEEP_SECONDS)), "queue": "sweeps"},
}
# Routine pricing of the assessment ledger (SPEC §9): every rule set in force, its previous and current month (and
# back to the month a late fact lands in). A run already queued for the same months is not asked for twice.
INFOHUB_PRICING_SECONDS = env.float("INFOHUB_PRICING_SECONDS", default=15 * 60.0)
CELERY_BEAT_SCHEDULE["assessment-routine-pricing"] = {
    "task": "assessment.tasks.routine_pricing",
    "schedule": INFOHUB_PRICING_SECONDS,
    "options": {"expire_seconds": max(1, math.ceil(INFOHUB_PRICING_SECONDS))},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- E-mail -------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="infohub@localhost")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))

# --- REST API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "infohub.text.NormalizingJSONParser",  # strings normalised as form fields are (infohub.text)
        "infohub.text.NormalizingFormParser",
        "infohub.text.NormalizingMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "infohub.pagination.ApiPagination",  # a page that is no page number is 400
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "infohub.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "InfoHub API · 政务信息报送与审核接口",
    "DESCRIPTION": (
        "政务信息报送与审核的全部功能：信息报送、审核签发、逐级审核采用、突发事件报送时限、信息刊物、领导批示、约稿。"
        "认证：登录后的会话，或请求头 `Authorization: Token <令牌>`（令牌由 `POST /api/auth/token/` 取得）。"
        "新建和操作请求可带 `Idempotency-Key` 请求头：同一请求重发只记录一次；同一个键用于地址或内容不同的请求时返回 422"
        "（`idempotency_key_reused`），不执行。出错时返回 `{detail, code, errors}`。\n\n"
        "Filing, review and emergency reporting for government-information work (English summaries per operation)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI's chrome as far as it is configurable (its fixed labels are put in Chinese by static/js/swagger-zh.js,
    # from templates/drf_spectacular/swagger_ui.html): operations folded, a filter by tag, authorization kept.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "docExpansion": "none", "filter": True, "persistAuthorization": True,
                            "displayRequestDuration": True, "defaultModelsExpandDepth": 0},
    "COMPONENT_SPLIT_REQUEST": True,
    # every operation documents every error status it can answer, with the one error shape (infohub.api_errors)
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "infohub.api_errors.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "ItemStatusEnum": "submissions.models.Item.Status",
        "HopStatusEnum": "reviews.models.Hop.Status",
        "ClassificationEnum": "infohub.models.Classification",
        "IssueKindEnum": "publications.models.IssueKind",
        "IssueStatusEnum": "publications.models.Issue.Status",
        "DistributionKindEnum": "publications.models.DistributionKind",
        "ExportFormatEnum": "publications.models.IssueExport.Format",
        "ActingRoleEnum": "publications.models.ACTING_ROLES",
        "LevelEnum": "infohub.models.Level",
        "InstructionStateEnum": "instructions.models.Instruction.State",
        "AssignmentStateEnum": "instructions.models.Assignment.State",
        "FeedbackStateEnum": "instructions.models.Feedback.State",
        "ExtensionStateEnum": "instructions.models.Extension.State",
        "FeedbackKindEnum": "instructions.models.Feedback.Kind",
        "InstructionKindEnum": "instructions.models.Kind",
        "ColourEnum": "followup.models.Colour",
        "TopicRequestKindEnum": "topics.models.TopicRequest.Kind",
        "TopicRequestStatusEnum": "topics.models.TopicRequest.Status",
        "TargetReplyEnum": "topics.models.Target.Reply",
        "BoardStateEnum": "topics.selectors.BOARD_STATES",
        "UnitKindEnum": "infohub.models.Unit.Kind",
        "PricingKindEnum": "assessment.models.Pricing.Kind",
        "PricingStateEnum": "assessment.models.Pricing.State",
        "BulletinKindEnum": "assessment.models.Bulletin.Kind",
        "BulletinStateEnum": "assessment.models.Bulletin.State",
    },
}

# Where people reach InfoHub: links in e-mail and SMS notifications start with it.
INFOHUB_SITE_URL = env.str("INFOHUB_SITE_URL", default="http://127.0.0.1:8000")

# --- InfoHub's own rules -------------------------------------------------------------------------------------
# The highest classification mark this network is accredited for; anything above goes to the
# confidential channel and must never be stored here.
INFOHUB_MAX_CLASSIFICATION = env.str("INFOHUB_MAX_CLASSIFICATION", default="internal")
# How this deployment names its confidential channel in refusals; empty means the generic wording.
INFOHUB_CONFIDENTIAL_CHANNEL = env.str("INFOHUB_CONFIDENTIAL_CHANNEL", default="")
# A typical item is 200–300 characters; past this the editor warns.
INFOHUB_BODY_WARN_LENGTH = env.int("INFOHUB_BODY_WARN_LENGTH", default=300)
INFOHUB_BODY_MAX_LENGTH = env.int("INFOHUB_BODY_MAX_LENGTH", default=20000)
INFOHUB_ATTACHMENT_MAX_BYTES = env.int("INFOHUB_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
INFOHUB_ATTACHMENT_EXTENSIONS = env.list(
    "INFOHUB_ATTACHMENT_EXTENSIONS",
    default=["pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "txt", "jpg", "jpeg", "png"],
)
# --- Emergency deadlines (alerts) ---------------------------------------------------------------------------
# The deadlines themselves (city 2 h, province 5 h, centre 6 h) live only in the deadline policy table (admin).
# Follow-ups of grade 较大 and above are due at these local times, at least this long after the last report.
INFOHUB_FOLLOW_UP_TIMES = env.list("INFOHUB_FOLLOW_UP_TIMES", default=["08:00", "17:00"])
INFOHUB_FOLLOW_UP_MIN_GAP_MINUTES = env.int("INFOHUB_FOLLOW_UP_MIN_GAP_MINUTES", default=60)
# A chased unit (催报) must report within this many minutes, or it is a missed report (漏报).
INFOHUB_CHASE_MINUTES = env.int("INFOHUB_CHASE_MINUTES", default=60)
INFOHUB_SWEEP_BATCH = env.int("INFOHUB_SWEEP_BATCH", default=100)
INFOHUB_SWEEP_BUDGET_SECONDS = env.float("INFOHUB_SWEEP_BUDGET_SECONDS", default=60.0)
INFOHUB_SMS_BACKEND = env.str("INFOHUB_SMS_BACKEND", default="alerts.sms.LoggingSmsBackend")
# The urgent queue refreshes itself this often (seconds); the countdown ticks every second in the browser.
INFOHUB_QUEUE_REFRESH_SECONDS = env.int("INFOHUB_QUEUE_REFRESH_SECONDS", default=15)
# Rendered rows of the inbox, sign-off list and urgent queue are kept in Redis until what they show changes
# (infohub.listcache), and at most this long; 0 renders them on every request.
INFOHUB_LIST_CACHE_SECONDS = env.int("LIST_CACHE_SECONDS", default=60)

# --- Follow-up (督办) and working days (followup) ----------------------------------------------------------------
# A working day's office hours, local time: a due "in n working days" falls at closing time; reminders go out at opening.
INFOHUB_OFFICE_OPENS = env.str("INFOHUB_OFFICE_OPENS", default="09:00")
INFOHUB_OFFICE_CLOSES = env.str("INFOHUB_OFFICE_CLOSES", default="18:00")
# Colour "due soon": due within this many working days (SPEC §6: "within 1 working day of due").
INFOHUB_FOLLOWUP_APPROACHING_WORKING_DAYS = env.int("INFOHUB_FOLLOWUP_APPROACHING_WORKING_DAYS", default=1)
# Reminders at opening time this many working days before the due day (0: the due day's morning).
INFOHUB_FOLLOWUP_REMIND_WORKING_DAYS = env.list("INFOHUB_FOLLOWUP_REMIND_WORKING_DAYS", cast=int, default=[1, 0])
# Unanswered this many working days after the due day: a record for the 通报 and scoring (SPEC §6, default 5).
INFOHUB_FOLLOWUP_OVERDUE_WORKING_DAYS = env.int("INFOHUB_FOLLOWUP_OVERDUE_WORKING_DAYS", default=5)
INFOHUB_FOLLOWUP_SWEEP_BATCH = env.int("INFOHUB_FOLLOWUP_SWEEP_BATCH", default=200)

# Signing an issue makes its .docx and PDF at once (Celery), so recipients find them ready.
INFOHUB_PUBLICATION_PREPARE_EXPORTS = env.bool("INFOHUB_PUBLICATION_PREPARE_EXPORTS", default=True)

# An emergency's event time may not lie in the future (beyond clock drift) nor absurdly far back.
INFOHUB_EVENT_TIME_MAX_AGE_DAYS = env.int("INFOHUB_EVENT_TIME_MAX_AGE_DAYS", default=365)

# Likely duplicates (SPEC §3: the same event filed by several units; submissions.selectors.likely_duplicates):
# items of the same category whose event times (emergencies; else filing times) lie this close, at the same place,
# whose titles or texts share at least this share of their two-character pieces (Dice coefficient, 0–1; titles half
# of it when both name one place).
INFOHUB_DUPLICATE_EVENT_HOURS = env.float("INFOHUB_DUPLICATE_EVENT_HOURS", default=12)
INFOHUB_DUPLICATE_FILED_DAYS = env.float("INFOHUB_DUPLICATE_FILED_DAYS", default=3)
INFOHUB_DUPLICATE_SIMILARITY = env.float("INFOHUB_DUPLICATE_SIMILARITY", default=0.3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
