"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Every browser test starts here: without Chromium they fail (never skip) and say how to get it.
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium. `make test` installs it "
            "(bin/system-packages test, as root; otherwise it prints the apt-get command), or set CHROMIUM_PATH.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # The machine has no internet: keep Chromium from reaching for Google's services.
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
