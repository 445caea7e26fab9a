"""v2's objects (user, thing, flattr, subscription), drawn from v1's items as v2's documentation
shows them. Counts, `flattred` and `subscribed` of a list are read in batches, never per thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flattr.clock import now
from flattr.domain.months import month_of
from flattr.store import aggregates, subscriptions, things, users


def unix(iso: str | None) -> int:
    return int(datetime.fromisoformat(iso).timestamp()) if iso else 0


@dataclass(frozen=True)
class Shapes:
    origin: str  # the API's, for `resource`
    pages: str  # where the web app is, for `link`s
    viewer: str | None = None
    full: bool = False  # v2's `full`: whole owner objects instead of mini ones

    def user_mini(self, user_id: str) -> dict:
        name = quote(user_id, safe="")
        return {
            "type": "user",
            "resource": f"{self.origin}/rest/v2/users/{name}",
            "link": f"{self.pages}/user.html?id={name}",  # the creator's page in the web app
            "username": user_id,
        }

    def user(self, user, *, email: str | None = None) -> dict:
        body = {
            **self.user_mini(user.uid),
            "url": "",
            "firstname": user.display_name or "",
            "lastname": "",
            "avatar": "",
            "about": "",
            "city": "",
            "country": "",
        }
        if user.uid == self.viewer:  # what v2 showed with the email and extendedread scopes
            body.update(email=email or "", registered_at=unix(user.created_at))
        return body

    def thing_mini(self, thing_id: str, url: str, title: str, flattrs: int | None = None) -> dict:
        body = {
            "type": "thing",
            "resource": f"{self.origin}/rest/v2/things/{thing_id}",
            "link": f"{self.pages}/thing.html?id={thing_id}",  # the thing's page in the web app
            "id": int(thing_id),
            "url": url,
            "title": title,
            "image": "",
        }
        if flattrs is not None:
            body["flattrs"] = flattrs
        return body

    def things(self, found: list, exact: bool = False) -> list[dict]:
        """Lists show folded counts (store.aggregates); one thing asked for by id, `exact` ones."""
        month = month_of(now())
        ids = [t.thing_id for t in found]
        if not ids:
            return []
        counts = things.counts_many(ids, month) if exact else aggregates.shown(found, month)
        owners = users.get_many({t.owner_id for t in found}) if self.full else {}
        flattred = things.flattred_many(self.viewer, ids, month) if self.viewer else set()
        subscribed = subscriptions.subscribed_many(self.viewer, ids) if self.viewer else set()
        out = []
        for t in found:
            count = counts[t.thing_id]
            owner = owners.get(t.owner_id)
            body = {
                **self.thing_mini(t.thing_id, t.url, t.title, count.total),
                "language": t.language or "en_GB",
                "category": t.category or "rest",
                "owner": self.user(owner) if owner else self.user_mini(t.owner_id),
                "hidden": bool(t.hidden),
                "created_at": unix(t.created_at),
                "tags": list(t.tags or []),
                # A person flattrs a thing at most once a month, so this month's flattrs are its
                # people; counting distinct people over all time would cost every click a read.
                "flattrs_user_count": count.month,
                "description": t.description or "",
            }
            if self.viewer and self.viewer == t.owner_id:
                body.update(last_flattr_at=unix(count.last_at), updated_at=unix(t.updated_at))
            if self.viewer:
                body.update(flattred=t.thing_id in flattred, subscribed=t.thing_id in subscribed)
            out.append(body)
        return out

    def flattrs(self, rows: list[tuple[str, str, str]], of_thing: bool = False) -> list[dict]:
        """(user, thing, at) rows as v2 flattrs, leaving out private flattrs, and hidden things from a
        user's list (one thing's own list is reachable as the thing is)."""
        if not rows:
            return []
        people = users.get_many({u for u, _, _ in rows})
        private = {u for u, p in people.items() if users.flattrs_hidden(u, p, self.viewer)}
        seen = {
            t.thing_id: t
            for t in things.get_many([t for _, t, _ in rows])
            if (things.reachable(t) if of_thing else things.listed_to(t, self.viewer))
        }
        counts = aggregates.shown(list(seen.values()))
        owners = users.get_many({t.owner_id for t in seen.values()}) if self.full else {}
        out = []
        for user_id, thing_id, at in rows:
            thing = seen.get(thing_id)
            if thing is None or user_id in private:
                continue
            owner = owners.get(thing.owner_id)
            mini = {
                **self.thing_mini(thing_id, thing.url, thing.title, counts[thing_id].total),
                "owner": self.user(owner) if owner else self.user_mini(thing.owner_id),
            }
            flattrer = people.get(user_id)
            out.append(
                {
                    "type": "flattr",
                    "thing": mini,
                    "owner": self.user(flattrer) if self.full and flattrer else self.user_mini(user_id),
                    "created_at": unix(at),
                }
            )
        return out

    def subscription(self, sub, thing: dict) -> dict:
        """`thing`: the thing as `things` shaped it (a list's things are shaped together)."""
        started = unix(f"{sub.first}-01T00:00:00+00:00")
        return {
            "type": "subscription",
            "active": True,
            "created_at": started,
            "started_at": started,
            "thing": thing,
            # Ours: a subscription here runs a term of months.
            "months": int(sub.months),
            "first_month": sub.first,
            "last_month": sub.last,
        }
