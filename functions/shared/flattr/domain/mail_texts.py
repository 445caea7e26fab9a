"""The emails' words: each kind has a subject, a plain-text body and an HTML body, both ending
with the unsubscribe link. Pure: values in, text out."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def cents(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d} {currency}"


def _statement(d: dict) -> tuple[str, list[str]]:
    cur = d["currency"]
    lines = [
        f"Your statement for {d['month']}.",
        "",
        f"Charged: {cents(d['charged'], cur)} (fee {cents(d['fee'], cur)}, charity {cents(d['charity'], cur)})",
    ]
    for g in d.get("given", []):
        lines.append(f"  given to thing {g['thing_id']}: {cents(g['amount'], cur)}")
    received = d.get("received", [])
    if received:
        total = sum(r["amount"] for r in received)
        lines.append(f"Received: {cents(total, cur)}")
        for r in received:
            lines.append(f"  thing {r['thing_id']}: {r['flattrs']} flattrs, {cents(r['amount'], cur)}")
    return f"Your Flattr statement for {d['month']}", lines


def _paused(d: dict) -> tuple[str, list[str]]:
    cur = d["currency"]
    return "Your flattrs are paused", [
        f"Your funds ({cents(d['funds'], cur)}) are below your monthly budget ({cents(d['budget'], cur)}).",
        "Add funds so that your flattrs in " + d["month"] + " count in full.",
    ]


def _buttons_off(d: dict) -> tuple[str, list[str]]:
    return "Your Flattr buttons are off", [
        "Your things cannot receive flattrs right now: only people who give can receive (give to get).",
        "Set a monthly budget and add funds, or move revenue into funds, to turn your buttons back on.",
    ]


def _digest(d: dict) -> tuple[str, list[str]]:
    n = d["new_supporters"]
    return f"{n} new supporter{'s' if n != 1 else ''} in {d['month']}", [
        f"In {d['month']}, {d['supporters']} people flattred your things; {n} of them for the first time "
        "since last month.",
    ]


def _payout(d: dict) -> tuple[str, list[str]]:
    amount = cents(d["amount"], d["currency"])
    if d["outcome"] == "paid":
        return f"Your payout of {amount} is on its way", [f"Payout {d['payout_id']} of {amount} was paid."]
    return f"Your payout of {amount} failed", [
        f"Payout {d['payout_id']} of {amount} failed; the money is back in your revenue."
    ]


_KINDS = {
    "statement": _statement,
    "paused": _paused,
    "buttons_off": _buttons_off,
    "digest": _digest,
    "payouts": _payout,
}


def render(kind: str, data: dict, unsubscribe_url: str) -> Mail:
    subject, lines = _KINDS[kind](data)
    footer = "You get this email because of your Flattr notification settings."
    text = "\n".join([*lines, "", footer, f"Unsubscribe: {unsubscribe_url}", ""])
    body = "".join(f"<p>{escape(line)}</p>" if line else "" for line in lines)
    html = (
        "<!doctype html><html><body>"
        f'{body}<hr><p style="font-size:small">{escape(footer)} '
        f'<a href="{escape(unsubscribe_url, quote=True)}">Unsubscribe</a></p>'
        "</body></html>"
    )
    return Mail(subject=subject, text=text, html=html)
