"""What an escalation step's key reads as (alerts.models.Escalation.label): numbers only when they are ASCII digits."""
from django.utils import translation

from alerts.models import Escalation


def label(key: str) -> str:
    with translation.override("en"):
        return Escalation(key=key).label


def test_steps_read_as_words_and_a_key_it_cannot_read_as_itself():
    assert label("half") == "Reminder at half time"
    assert label("before-30") == "Reminder 30 minutes before the deadline"
    assert label("breach") == "Deadline passed: escalated"
    assert label("breach-2") == "Deadline passed again: escalation 2"
    assert label("ack-3") == "Not acknowledged: escalation 3"
    assert label("before-²") == "before-²"  # "²".isdigit() is True: not a number of minutes
    assert label("ack-x") == "ack-x"
