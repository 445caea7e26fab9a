"""Emails through Amazon SES, as raw MIME so that our own headers (List-Unsubscribe) go out, and
each one exactly once: a conditional "sending" record is claimed before SES is called."""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import quote

from .. import secrets, settings
from ..domain import mail_texts
from ..domain import notify as rules
from ..store import notify as store

_client = None


class SendLater(Exception):
    """Another attempt holds this email's claim: the job is retried, and then finds it sent."""


def _ses():
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("ses")
    return _client


def secret() -> str:
    return secrets.get(settings.get().notify_secret_parameter)


def unsubscribe_url(user_id: str, kind: str) -> str:
    token = rules.unsubscribe_token(secret(), user_id, kind)
    return f"{settings.get().api_url}/unsubscribe?token={quote(token)}"


def build(to: str, mail: mail_texts.Mail, unsubscribe: str, message_id: str) -> EmailMessage:
    cfg = settings.get()
    msg = EmailMessage()
    msg["From"] = cfg.mail_from
    msg["To"] = to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(time.time(), usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=message_id.replace(":", "."), domain="flattr")
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


def send_once(message_id: str, user_id: str, kind: str, data: dict) -> bool:
    """Send `kind` to the user if they want it; at most once per message id. True if sent now."""
    to = store.recipient(user_id, kind)
    if to is None:
        return False
    link = unsubscribe_url(user_id, kind)
    mail = mail_texts.render(kind, {"currency": settings.get().currency, **data}, link)
    if not store.begin_mail(message_id, to, mail.subject):
        if store.mail_status(message_id) == "sent":
            return False
        raise SendLater(message_id)
    raw = build(to, mail, link, message_id).as_bytes()
    answer = _ses().send_raw_email(
        Source=settings.get().mail_from, Destinations=[to], RawMessage={"Data": raw}
    )
    store.mail_sent(message_id, answer["MessageId"])
    return True
