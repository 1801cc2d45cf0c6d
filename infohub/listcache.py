"""Rendered rows of the long lists, kept in Redis until something they show changes.

The inbox, the sign-off list and the urgent queue are open all day and asked for again and again while nothing
in them changes; building their rows (one SQL statement, a few milliseconds of Python) is most of a page's cost.
A list names the *scopes* its rows depend on (an office, a unit, the names of units and people); every write to
a model that a list shows marks its scopes changed, and a changed scope gets a new random version on commit.
Kept rows are served only while every version they were rendered under is still current, so a list is never
older than the last committed change to it. A time limit (LIST_CACHE_SECONDS) bounds what no signal sees, e.g. a
change made by raw SQL.

Correctness rests on two orders: versions change *after* the change commits, and a reader reads the versions
*before* the rows. A reader inside a transaction that has itself changed a scope renders afresh and keeps
nothing (its rows are not yet anyone else's truth). Without Redis the lists are simply rendered every time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language
from redis.exceptions import RedisError

from .tree import forget_units

logger = logging.getLogger(__name__)

NAMES = "names"  # names of units and people, shown by every list


def office(pk: int) -> str:
    """What an office receives and waits for: its inbox (hops) and its urgent queue (clocks)."""
    return f"office:{pk}"


def unit(pk: int) -> str:
    """A unit's own items: its sign-off list."""
    return f"unit:{pk}"


def holders(keys) -> list[str]:
    """The scopes of the lists of who holds objects with these access keys (infohub.access.keys_of): a unit's own
    objects (a key minus the unit's id) and what an office received (plus its id). A list of the objects a person
    may see depends on these scopes of `access.keys_seen_by(person)`, and every change to such an object marks
    those of its keys."""
    return sorted({unit(-key) if key < 0 else office(key) for key in keys})


def _version_key(scope: str) -> str:
    return f"list-version:{scope}"


def _pending() -> set[str]:
    """Scopes changed by the current transaction, flushed once when it commits. The set belongs to the list of
    commit hooks it was made with: a commit or rollback replaces that list, and so starts a new set."""
    hooks = connection.run_on_commit
    kept = getattr(connection, "_infohub_changed_scopes", None)
    if kept is None or kept[0] is not hooks:
        kept = connection._infohub_changed_scopes = (hooks, set())
        transaction.on_commit(lambda scopes=kept[1]: _new_versions(scopes))
    return kept[1]


def changed(*scopes: str) -> None:
    """Mark scopes changed: their kept rows stop being served once the current transaction commits (at once
    outside a transaction)."""
    if connection.in_atomic_block:
        _pending().update(scopes)
    else:
        _new_versions(scopes)


def _new_versions(scopes) -> None:
    if not scopes:
        return
    try:
        cache.set_many({_version_key(s): secrets.randbits(62) for s in scopes}, timeout=None)
    except RedisError:
        # Kept rows then outlive the change by at most LIST_CACHE_SECONDS; failing the commit would be worse.
        logger.exception("list cache: could not mark %s changed", sorted(scopes))


_names_seen = None


def _follow_names(version) -> None:
    """A unit renamed in another process changes the names' version: this process's table of unit names
    (infohub.tree.unit_names) is then read again, rather than up to a minute later."""
    global _names_seen  # noqa: PLW0603  (one per process, as the table it watches)
    if version != _names_seen:
        if _names_seen is not None:
            forget_units()
        _names_seen = version


def _changed_here(scopes) -> bool:
    kept = getattr(connection, "_infohub_changed_scopes", None)
    return (connection.in_atomic_block and kept is not None and kept[0] is connection.run_on_commit
            and not kept[1].isdisjoint(scopes))


def rendered(name: str, scopes: list[str], key: tuple, render, *, renew_after: int | None = None) -> str:
    """`render()`'s HTML for list `name` showing `key` (everything the rows depend on besides the scopes' data:
    page, filters, language, the reader's clearance…), from Redis when nothing in `scopes` changed since.

    `renew_after`: rows that also show the time (the queue's "time left") are drawn anew once they are that many
    seconds old, by one request while the others are still served the kept rows: were the time part of the key,
    every reader would miss it at the same moment and all draw the same rows at once."""
    seconds = settings.INFOHUB_LIST_CACHE_SECONDS
    if not seconds or _changed_here(scopes):
        return render()
    version_keys = [_version_key(s) for s in scopes]
    rows_key = "list-rows:" + hashlib.sha1(repr((name, key)).encode()).hexdigest()
    try:
        found = cache.get_many([*version_keys, rows_key])
        versions = tuple(found.get(k) for k in version_keys)
        if NAMES in scopes:
            _follow_names(versions[scopes.index(NAMES)])
        if None in versions:  # never marked, or evicted: start a version; rows are kept from the next request
            for k in version_keys:
                if k not in found:
                    cache.add(k, secrets.randbits(62), timeout=None)
            return render()
        kept = found.get(rows_key)
        if kept is not None and kept[0] == versions and not _due_for_renewal(kept[1], rows_key, renew_after):
            return kept[2]
        drawn_at = time.time()
        html = render()
        cache.set(rows_key, (versions, drawn_at, html), seconds)
        if renew_after:
            cache.delete(rows_key + ":renewing")
        return html
    except RedisError:
        logger.warning("list cache unavailable; rendering %s", name, exc_info=True)
        return render()


def _due_for_renewal(drawn_at: float, rows_key: str, renew_after: int | None) -> bool:
    """Whether this request is the one to draw kept rows anew: they are old enough, and nobody else is at it."""
    return bool(renew_after) and time.time() - drawn_at >= renew_after and cache.add(
        rows_key + ":renewing", 1, timeout=renew_after)


def reader_key(request) -> tuple:
    """What any list's rows depend on besides its data: language, time zone, the reader's clearance (lists hide
    what it does not reach) and the whole query string (page, tab, filters, and what pagination links keep)."""
    return (get_language(), timezone.get_current_timezone_name(), getattr(request.user, "clearance", ""),
            sorted(request.GET.lists()))
