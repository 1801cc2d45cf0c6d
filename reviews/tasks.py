"""Celery tasks of the review chain (where Celery looks for them); each lives beside the service it runs."""

from .duplicates import tell_likely_duplicates  # noqa: F401
