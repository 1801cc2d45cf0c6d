"""Sessions read from Redis and written through to the database (SESSION_ENGINE = "infohub.sessions").

Django's cached_db, with Redis as a mere speed-up: a page asks Postgres one statement fewer (~15 % of a kept list
page's CPU, measured), and the database stays the truth.
- Without Redis, sessions work from the database alone: Django's own cached_db fails the request when the cache
  is unreachable while it loads a session from the database or deletes one.
- A session is kept in Redis for five minutes at most, not for its whole life: a logout while Redis is down
  cannot delete the copy there, and when Redis comes back with its data that copy is only good for the rest of
  those five minutes.
"""

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300


class SessionStore(cached_db.SessionStore):
    def _keep(self, data, expiry_age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(CACHE_SECONDS, expiry_age))
        except Exception:
            logger.warning("session cache unavailable", exc_info=True)

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._keep(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key):
        try:
            if session_key and self.cache_key_prefix + session_key in self._cache:
                return True
        except Exception:
            logger.warning("session cache unavailable", exc_info=True)
        return DBStore.exists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        self._keep(self._session, self.get_expiry_age())

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            logger.error("session %s… ended, but its cached copy could not be deleted", session_key[:6], exc_info=True)
