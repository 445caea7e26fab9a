"""Items of notifications, in the one table. Keys are built here and nowhere else.

USER#<u>                     NOTIFY              email address and notification preferences
USER#<u>                     HOOK#<id>           a webhook endpoint (url, signing secret)
HOOKLOG#<id>                 <at>#<delivery>#<n> one delivery attempt, for the endpoint's log
HOOKDONE#<delivery>          DONE                a delivery that succeeded (not sent again)
HOOKWIN#<u>#<minute>         OPEN | F#<g>#<t>    a flattr.received batch window and its flattrs
HOOKWIN#<u>                  F#<g>#<t>#<month>   the window a flattr went into (its first notice's)
MAIL#<message id>            MAIL                an email: sending -> sent (sent exactly once)
NOTE#<month>                 FANOUT              the month's notifications were handed out
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from .models import _Base


class NotifyPrefs(_Base):
    email = UnicodeAttribute(null=True)
    email_source = UnicodeAttribute(null=True)  # "user" (PUT /me) or "token" (verified claim)
    prefs = MapAttribute(default=dict)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "NOTIFY"


class Endpoint(_Base):
    hook_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    url = UnicodeAttribute()
    secret = UnicodeAttribute()
    created_at = UnicodeAttribute()

    PREFIX = "HOOK#"

    @staticmethod
    def key(user_id: str, hook_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"HOOK#{hook_id}"


class DeliveryLog(_Base):
    delivery_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    attempt = NumberAttribute()
    outcome = UnicodeAttribute()  # delivered | failed | retrying | gave_up | refused
    http_status = NumberAttribute(null=True)
    detail = UnicodeAttribute(default="")
    at = UnicodeAttribute()
    next_attempt_in = NumberAttribute(null=True)

    @staticmethod
    def key(hook_id: str, at: str, delivery_id: str, attempt: int) -> tuple[str, str]:
        return f"HOOKLOG#{hook_id}", f"{at}#{delivery_id}#{attempt:03d}"

    @staticmethod
    def partition(hook_id: str) -> str:
        return f"HOOKLOG#{hook_id}"


class WindowFlattr(_Base):
    thing_id = UnicodeAttribute()
    giver = UnicodeAttribute()
    at = UnicodeAttribute()

    @staticmethod
    def key(owner_id: str, bucket: int, giver: str, thing_id: str) -> tuple[str, str]:
        return f"HOOKWIN#{owner_id}#{bucket}", f"F#{giver}#{thing_id}"

    @staticmethod
    def window(owner_id: str, bucket: int) -> tuple[str, str]:
        return f"HOOKWIN#{owner_id}#{bucket}", "OPEN"


class WindowClaim(_Base):
    """Which window a flattr went into: a notice that comes again (a stream batch redelivered,
    hours later) goes into the same window, so the flattr is told once. Expired by the table's TTL
    after the stream's and the queue's retention."""

    bucket = NumberAttribute()
    expires = NumberAttribute()

    @staticmethod
    def key(owner_id: str, giver: str, thing_id: str, month: str) -> tuple[str, str]:
        return f"HOOKWIN#{owner_id}", f"F#{giver}#{thing_id}#{month}"


class MailSent(_Base):
    status = UnicodeAttribute()  # sending -> sent
    to = UnicodeAttribute()
    subject = UnicodeAttribute()
    started = NumberAttribute()  # unix seconds of the latest attempt
    ses_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(message_id: str) -> tuple[str, str]:
        return f"MAIL#{message_id}", "MAIL"


class Fanout(_Base):
    dispatched = BooleanAttribute(default=False)

    @staticmethod
    def key(month: str) -> tuple[str, str]:
        return f"NOTE#{month}", "FANOUT"
