"""A pluggable SMS hook. A deployment names its backend in INFOHUB_SMS_BACKEND (a dotted path to a class
with `send(phone, text)`); the default writes each message to the log, so nothing is lost while no SMS
gateway is contracted."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("infohub.sms")


class SmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsBackend(SmsBackend):
    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def sms_backend() -> SmsBackend:
    return import_string(settings.INFOHUB_SMS_BACKEND)()
