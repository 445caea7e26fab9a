"""Notifications' records: preferences, webhook endpoints and their delivery logs, emails sent
exactly once, and who hears about a month (the users of its close's pages)."""

from __future__ import annotations

import secrets
import time

from pynamodb.exceptions import PutError

from ..clock import now
from ..domain import notify as rules
from . import calendar, credits
from .models import Marker, MonthClose, Page
from .notify_models import (
    DeliveryLog,
    Endpoint,
    Fanout,
    MailSent,
    NotifyPrefs,
    WindowClaim,
    WindowFlattr,
)

MAX_ENDPOINTS = 5
LOG_PAGE = 50
SENDING_LEASE = 300  # seconds an interrupted send blocks another attempt
CLAIM_DAYS = 16  # a flattr's window is remembered past the stream's day and the queue's 14 days


def _conditional_put(item, condition) -> bool:
    try:
        item.save(condition=condition)
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


# ---------------------------------------------------------------- preferences


def prefs(user_id: str) -> NotifyPrefs | None:
    try:
        return NotifyPrefs.get(*NotifyPrefs.key(user_id), consistent_read=True)
    except NotifyPrefs.DoesNotExist:
        return None


def view(user_id: str) -> dict:
    p = prefs(user_id)
    return {
        "email": p.email if p else None,
        "notifications": rules.merge_preferences(p.prefs.as_dict() if p else None, None),
    }


def save(
    user_id: str,
    *,
    email: str | None = None,
    email_source: str = "user",
    remove_email: bool = False,
    changes: dict[str, bool] | None = None,
    only_if_no_email: bool = False,
) -> None:
    current = prefs(user_id)
    stored = current.prefs.as_dict() if current else None
    if only_if_no_email and current is not None and (current.email or current.email_source == "removed"):
        email = None  # an address the user gave, or removed, is not replaced by the token's
    if current is not None and not (email or remove_email or changes):
        return
    merged = rules.merge_preferences(stored, changes)
    actions = [NotifyPrefs.prefs.set(merged)]
    if remove_email:
        actions += [NotifyPrefs.email.remove(), NotifyPrefs.email_source.set("removed")]
    elif email:
        actions += [NotifyPrefs.email.set(email), NotifyPrefs.email_source.set(email_source)]
    NotifyPrefs(*NotifyPrefs.key(user_id)).update(actions=actions)


def recipient(user_id: str, kind: str) -> str | None:
    """The address to send `kind` to, or None if there is none or the user turned it off."""
    p = prefs(user_id)
    if p is None or not p.email:
        return None
    return p.email if rules.merge_preferences(p.prefs.as_dict(), None)[kind] else None


# ---------------------------------------------------------------- emails, once


def begin_mail(message_id: str, to: str, subject: str) -> bool:
    """Claim the right to send this email. False: it was sent, or another attempt is sending it."""
    at = int(time.time())
    item = MailSent(*MailSent.key(message_id), status="sending", to=to, subject=subject, started=at)
    cond = MailSent.pk.does_not_exist() | (
        (MailSent.status == "sending") & (MailSent.started < at - SENDING_LEASE)
    )
    return _conditional_put(item, cond)


def mail_sent(message_id: str, ses_id: str) -> None:
    MailSent(*MailSent.key(message_id)).update(
        actions=[MailSent.status.set("sent"), MailSent.ses_id.set(ses_id)]
    )


def mail_status(message_id: str) -> str | None:
    try:
        return MailSent.get(*MailSent.key(message_id), consistent_read=True).status
    except MailSent.DoesNotExist:
        return None


# ---------------------------------------------------------------- webhook endpoints


def endpoints(user_id: str, consistent: bool = True) -> list[Endpoint]:
    """A user's endpoints. `consistent=False` reads at half the price, and may miss an endpoint
    made a moment ago."""
    return list(
        Endpoint.query(f"USER#{user_id}", Endpoint.sk.startswith(Endpoint.PREFIX), consistent_read=consistent)
    )


def endpoint(user_id: str, hook_id: str) -> Endpoint | None:
    try:
        return Endpoint.get(*Endpoint.key(user_id, hook_id), consistent_read=True)
    except Endpoint.DoesNotExist:
        return None


def add_endpoint(user_id: str, url: str) -> Endpoint | None:
    """A new endpoint with a fresh secret; None if the user has as many as allowed."""
    if len(endpoints(user_id)) >= MAX_ENDPOINTS:
        return None
    hook_id = secrets.token_hex(8)
    item = Endpoint(
        *Endpoint.key(user_id, hook_id),
        hook_id=hook_id,
        user_id=user_id,
        url=url,
        secret="whsec_" + secrets.token_urlsafe(32),
        created_at=now().isoformat(),
    )
    item.save(condition=Endpoint.pk.does_not_exist())
    return item


def remove_endpoint(user_id: str, hook_id: str) -> bool:
    item = endpoint(user_id, hook_id)
    if item is None:
        return False
    item.delete()
    return True


def log_attempt(
    hook_id: str,
    delivery_id: str,
    event_type: str,
    attempt: int,
    outcome: str,
    http_status: int | None,
    detail: str,
    next_in: float | None = None,
) -> None:
    at = _wall_clock()
    DeliveryLog(
        *DeliveryLog.key(hook_id, at, delivery_id, attempt),
        delivery_id=delivery_id,
        event_type=event_type,
        attempt=attempt,
        outcome=outcome,
        http_status=http_status,
        detail=detail[:500],
        at=at,
        next_attempt_in=next_in,
    ).save()


def _wall_clock() -> str:
    # Deliveries happen in real time (retries wait real seconds), so the log keeps the real clock.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"


def delivery_log(hook_id: str) -> list[DeliveryLog]:
    """The newest attempts first."""
    return list(
        DeliveryLog.query(
            DeliveryLog.partition(hook_id), scan_index_forward=False, limit=LOG_PAGE, consistent_read=True
        )
    )


def delivered(delivery_id: str) -> bool:
    try:
        Marker.get(f"HOOKDONE#{delivery_id}", "DONE", consistent_read=True, attributes_to_get=["pk"])
        return True
    except Marker.DoesNotExist:
        return False


def mark_delivered(delivery_id: str) -> None:
    Marker(f"HOOKDONE#{delivery_id}", "DONE", at=_wall_clock()).save()


# ---------------------------------------------------------------- flattr.received windows


def add_to_window(owner_id: str, bucket: int, flattrs: list[tuple[str, str, str]]) -> list[int]:
    """Put flattrs (giver, thing id, at) into the owner's window `bucket`, each one into the window
    it first went into if it came before (a notice queued twice): a flattr is in one window only.
    Returns the windows not open yet: send their flushes, then `opened` them (a crash in between
    sends a flush again, which delivers nothing twice)."""
    buckets: set[int] = set()
    for giver, thing_id, at in flattrs:
        b = _claim(owner_id, bucket, giver, thing_id, at)
        key = WindowFlattr.key(owner_id, b, giver, thing_id)
        WindowFlattr(*key, thing_id=thing_id, giver=giver, at=at).save()
        buckets.add(b)
    keys = [WindowFlattr.window(owner_id, b) for b in sorted(buckets)]
    is_open = {m.pk for m in Marker.batch_get(keys, consistent_read=True, attributes_to_get=["pk"])}
    return [b for b, (pk, _) in zip(sorted(buckets), keys, strict=True) if pk not in is_open]


def opened(owner_id: str, bucket: int) -> None:
    """The window's flush is queued."""
    Marker(*WindowFlattr.window(owner_id, bucket), at=_wall_clock()).save()


def _claim(owner_id: str, bucket: int, giver: str, thing_id: str, at: str) -> int:
    """The flattr's window: `bucket` if this is its first notice, else the one its first went into.
    A flattr is one giver, thing and month (`at` starts with the month)."""
    key = WindowClaim.key(owner_id, giver, thing_id, at[:7])
    claim = WindowClaim(*key, bucket=bucket, expires=int(time.time()) + CLAIM_DAYS * 86400)
    if _conditional_put(claim, WindowClaim.pk.does_not_exist()):
        return bucket
    return int(WindowClaim.get(*key, consistent_read=True).bucket)


def window(owner_id: str, bucket: int) -> list[WindowFlattr]:
    pk, _ = WindowFlattr.window(owner_id, bucket)
    return list(WindowFlattr.query(pk, WindowFlattr.sk.startswith("F#"), consistent_read=True))


# ---------------------------------------------------------------- a month's audience


def members(month: str, segment: int, start: dict | None, pages: int = 5) -> tuple[list[str], dict | None]:
    """The users of a few of the close's pages of one scan segment: everyone the month may concern
    (a giver's statement, a creator's revenue). Nothing is written per user to know it."""
    found = Page.query(
        Page.key(month, "")[0],
        Page.sk.startswith(f"PAGE#{segment}."),
        limit=pages,
        last_evaluated_key=start,
        attributes_to_get=["pk", "sk", "users"],
    )
    users = [u for page in found for u in page.users or []]
    return users, found.last_evaluated_key


def segments(month: str) -> int:
    return int(MonthClose.get(*MonthClose.key(month), consistent_read=True).segments)


def supporters(owner_id: str, month: str) -> set[str]:
    """Who paid the creator a share that month."""
    return credits.givers(owner_id, month)


def month_closed(month: str) -> bool:
    """settlement.month_status()'s "closed", read strongly consistently: the job that follows the
    close's last write must see it, or the month's notifications would never be handed out."""
    try:
        close = MonthClose.get(*MonthClose.key(month), consistent_read=True)
    except MonthClose.DoesNotExist:
        return False
    return calendar.is_closed(close, calendar.progress(month))


def fanout_state(month: str) -> str:
    """ "new" (we claimed it), "claimed" (claimed, not yet handed out) or "dispatched"."""
    if _conditional_put(Fanout(*Fanout.key(month)), Fanout.pk.does_not_exist()):
        return "new"
    item = Fanout.get(*Fanout.key(month), consistent_read=True)
    return "dispatched" if item.dispatched else "claimed"


def fanout_dispatched(month: str) -> None:
    Fanout(*Fanout.key(month)).update(actions=[Fanout.dispatched.set(True)])
