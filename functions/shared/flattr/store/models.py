"""One DynamoDB table, item types told apart by key prefix. Keys are built here and nowhere else.

USER#<u>                 USER                  the user: profile, budget, funds balance
USER#<u>                 CARD#<month>          the user's flattrs of a month (store.cards)
USER#<u>                 SETTLE#<month>        the settlement of the user's month: immutable, with its shares
THING#<t>                THING                 a thing, with its folded counts (indexes listed,
                                               ranked, ranked_month)
URL#<url>                URL                   the claim that makes a URL unique
COUNT#<t>                COUNT                 a thing's flattr counters, kept by the stream tally
TALLY#<event id>         PART#<k>              a part of a stream chunk the tally applied (with a TTL)
RECEIVED#<t>#<shard>     <month>               what a thing received in a month, sharded
ACCT#<account>#<shard>   ACCT                  an account balance (funds live on USER)
XFER#<id>                XFER                  an immutable transfer
PAYMENT#<ref>            PAYMENT               a provider's payment that was credited, and what went back
MONTH#<month>            MONTH                 a month close
MONTH#<month>#<shard>    PROGRESS              a month close's counters, sharded
MONTH#<month>            SEGMENT#<i>           a scan segment that finished
MONTH#<month>            PAGE#<page>           a page of the close's scan: its users (store.fold)
FOLD#<month>#<page>      CHUNK#<k> | DONE      a carried-out transaction of that page's fold
CREDIT#<month>#<part>    <owner hash>#<page>   what a page's users gave one creator (store.credits)
CREDITS#<month>#<part>   CHUNK#<j> | DONE      a chunk of creators credited from those entries
CALENDAR                 CALENDAR              which months have begun closing
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from .. import settings
from .indexes import Listed, Ranked, RankedMonth, ThingsByOwner, UsersIndex


class _Base(Model):
    class Meta:
        table_name = settings.get().table

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # pynamodb keeps one schema per table, so the single table's indexes are declared here.
    uid = UnicodeAttribute(null=True)  # only on users: the sparse users index
    owner_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)  # with owner_id, only on things: things_by_owner
    at = UnicodeAttribute(null=True)
    listed = UnicodeAttribute(null=True)  # only on live things: "public" | "hidden" (store.things.listing)
    rank_total = NumberAttribute(null=True)  # the fold's aggregate (store.aggregates), on things
    month_listed = UnicodeAttribute(null=True)
    rank_month = NumberAttribute(null=True)
    users = UsersIndex()
    by_owner = ThingsByOwner()
    by_listing = Listed()
    by_rank = Ranked()
    by_rank_month = RankedMonth()

    @classmethod
    def _get_connection(cls):
        # One connection (one botocore client) for every model: each would otherwise build its own.
        return Model._get_connection.__func__(_Base)


def bind(table_name: str) -> None:
    """Point every model at `table_name` (the stack's physical name)."""
    _Base.Meta.table_name = table_name


def connection():
    return _Base._get_connection().connection


class User(_Base):
    display_name = UnicodeAttribute(default="")
    budget = NumberAttribute(default=0)
    funds = NumberAttribute(default=0)  # balance of account user:<u>:funds
    closed_through = UnicodeAttribute(null=True)  # last month sealed by settlement
    settled_through = UnicodeAttribute(null=True)  # last month settled (they settle in order)
    gave_month = UnicodeAttribute(null=True)  # last month whose settlement charged them (give to get)
    subs_through = UnicodeAttribute(null=True)  # the last month any subscription of theirs runs
    idle_months = NumberAttribute(default=0)
    hide_flattrs = BooleanAttribute(default=False)
    created_month = UnicodeAttribute()
    debt = NumberAttribute(null=True)  # balance of account debt:<u>: 0 or below, what the user owes
    stripe_account = UnicodeAttribute(null=True)  # the creator's Stripe Connect account (acct_...)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "USER"


class Thing(_Base):
    thing_id = UnicodeAttribute()
    url = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    language = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    hidden = BooleanAttribute(default=False)
    updated_at = UnicodeAttribute(null=True)
    deleted_at = UnicodeAttribute(null=True)  # kept, so months already flattred still settle
    unclaimed = BooleanAttribute(null=True)  # auto-submitted, and hidden, until its owner claims it
    # The fold's copy of the thing's counter (store.aggregates): what lists and search show.
    counted_month = UnicodeAttribute(null=True)  # the month rank_month counts
    last_flattr_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(thing_id: str) -> tuple[str, str]:
        return f"THING#{thing_id}", "THING"


class UrlClaim(_Base):
    thing_id = UnicodeAttribute()

    @staticmethod
    def key(url: str) -> tuple[str, str]:
        return f"URL#{url}", "URL"


class ThingCount(_Base):
    """A thing's counters: `total`, `months[YYYY-MM]`, the latest flattr and the latest fans.

    Derived from the month cards by the stream tally (store.tally), one update per thing per chunk
    of the stream, so a popular thing is written once per batch, not once per click. `v` counts
    the tally's updates: the fans list is rewritten on condition that `v` is what was read.
    """

    total = NumberAttribute(default=0)
    months = MapAttribute(default=dict)
    last_at = UnicodeAttribute(null=True)  # the latest flattr counted (ISO 8601)
    fans = ListAttribute(of=UnicodeAttribute, default=list)  # "<epoch>|<user>", newest first
    v = NumberAttribute(default=0)

    FANS = 10  # latest fans kept: v2's list of a thing's flattrs shows these

    @staticmethod
    def key(thing_id: str) -> tuple[str, str]:
        return f"COUNT#{thing_id}", "COUNT"


class Received(_Base):
    flattrs = NumberAttribute(default=0)
    amount = NumberAttribute(default=0)

    SHARDS = 16  # every fan's share adds to one: spread like revenue

    @staticmethod
    def key(thing_id: str, shard: int, month: str) -> tuple[str, str]:
        return f"RECEIVED#{thing_id}#{shard}", month


class Account(_Base):
    # The account and the shard are the key's; older items also hold them as attributes.
    account = UnicodeAttribute(null=True)
    shard = NumberAttribute(null=True)
    balance = NumberAttribute(default=0)

    @staticmethod
    def key(account: str, shard: int) -> tuple[str, str]:
        return f"ACCT#{account}#{shard}", "ACCT"

    @staticmethod
    def named(pk: str) -> tuple[str, int]:
        """(account, shard) of an account item's partition key: the inverse of `key`."""
        account, shard = pk[len("ACCT#") :].rsplit("#", 1)
        return account, int(shard)


class TransferItem(_Base):
    transfer_id = UnicodeAttribute()
    debit = UnicodeAttribute()
    debit_shard = NumberAttribute()
    credit = UnicodeAttribute()
    credit_shard = NumberAttribute()
    amount = NumberAttribute()
    kind = UnicodeAttribute()
    month = UnicodeAttribute(default="")
    user_id = UnicodeAttribute(default="")
    thing_id = UnicodeAttribute(default="")
    at = UnicodeAttribute()

    @staticmethod
    def key(transfer_id: str) -> tuple[str, str]:
        return f"XFER#{transfer_id}", "XFER"


class Settlement(_Base):
    """A user's settled month, written once with the user's charge: the plan and its shares
    ("<thing>|<owner>|<cents>"), paid to owners, or redirected to charity when an owner did not
    give. Its page's fold credits them (store.fold)."""

    user_id = UnicodeAttribute()
    month = UnicodeAttribute()
    status = UnicodeAttribute()  # "done": a record exists only once the month is settled
    charged = NumberAttribute(default=0)
    fee = NumberAttribute(default=0)
    fee_bps = NumberAttribute(default=0)
    charity = NumberAttribute(default=0)
    distributed = NumberAttribute(default=0)
    things = NumberAttribute(default=0)
    idle_after = NumberAttribute(default=0)
    policy = UnicodeAttribute(null=True)
    page = UnicodeAttribute(null=True)  # the scan page whose fold credits it
    shares = ListAttribute(of=UnicodeAttribute, default=list)
    redirected = ListAttribute(of=UnicodeAttribute, default=list)

    @staticmethod
    def key(user_id: str, month: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"SETTLE#{month}"


class Marker(_Base):
    """An item whose existence records that a step happened (its conditional put is the guard)."""

    at = UnicodeAttribute(null=True)


class TallyMark(_Base):
    """Part k of a chunk of the table's stream that the tally applied; the chunk held `n` records,
    through sequence `last`. Kept past the stream's 24-hour retention, then expired by the
    table's TTL (`expires`)."""

    n = NumberAttribute()
    last = UnicodeAttribute()
    expires = NumberAttribute()

    @staticmethod
    def key(event_id: str, part: int) -> tuple[str, str]:
        return f"TALLY#{event_id}", f"PART#{part}"


class MonthClose(_Base):
    month = UnicodeAttribute()
    segments = NumberAttribute()
    segments_done = NumberAttribute(default=0)
    dispatched = BooleanAttribute(default=False)
    started_at = UnicodeAttribute()
    credit_parts = NumberAttribute(default=0)  # partitions of the creators' fold (store.credits)
    credits_done = NumberAttribute(default=0)
    credits_dispatched = BooleanAttribute(default=False)

    @staticmethod
    def key(month: str) -> tuple[str, str]:
        return f"MONTH#{month}", "MONTH"


class MonthProgress(_Base):
    users_total = NumberAttribute(default=0)
    users_settled = NumberAttribute(default=0)
    charged = NumberAttribute(default=0)
    fees = NumberAttribute(default=0)
    distributed = NumberAttribute(default=0)
    charity = NumberAttribute(default=0)
    pages_total = NumberAttribute(default=0)
    pages_folded = NumberAttribute(default=0)

    SHARDS = 16

    @staticmethod
    def key(month: str, shard: int) -> tuple[str, str]:
        return f"MONTH#{month}#{shard}", "PROGRESS"


class Page(_Base):
    """A page of a month close's scan, recorded once so that a repeated scan job repeats it."""

    month = UnicodeAttribute()
    users = ListAttribute(of=UnicodeAttribute, default=list)
    next_start = UnicodeAttribute(null=True)  # the scan's LastEvaluatedKey after it, as JSON
    parts = NumberAttribute(null=True)  # the close's parts: where its creators' entries go

    @staticmethod
    def key(month: str, page: str) -> tuple[str, str]:
        return f"MONTH#{month}", f"PAGE#{page}"

    @staticmethod
    def fold_key(month: str, page: str, chunk: str) -> tuple[str, str]:
        return f"FOLD#{month}#{page}", chunk


class Payout(_Base):
    payout_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    amount = NumberAttribute()
    status = UnicodeAttribute()  # pending -> paid | failed
    month = UnicodeAttribute()
    requested_at = UnicodeAttribute()

    @staticmethod
    def key(payout_id: str) -> tuple[str, str]:
        return f"PAYOUT#{payout_id}", "PAYOUT"

    @staticmethod
    def user_key(user_id: str, payout_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"PAYOUTREF#{payout_id}"


class Subscription(_Base):
    """A standing flattr of one thing, from `first` through `last` month."""

    thing_id = UnicodeAttribute()
    first = UnicodeAttribute()
    last = UnicodeAttribute()
    months = NumberAttribute()

    @staticmethod
    def key(user_id: str, thing_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"SUB#{thing_id}"

    PREFIX = "SUB#"


class Payment(_Base):
    """A provider's payment that was credited to funds (once), and how much of it has gone back."""

    user_id = UnicodeAttribute()
    amount = NumberAttribute()
    refunded = NumberAttribute(default=0)  # the provider's running total refunded
    at = UnicodeAttribute()

    @staticmethod
    def key(ref: str) -> tuple[str, str]:
        return f"PAYMENT#{ref}", "PAYMENT"


class Calendar(_Base):
    """The one item that orders closes and births: the last month whose close has begun, the
    first month ever closed, and the first month any user was born into."""

    last_begun = UnicodeAttribute(null=True)
    epoch = UnicodeAttribute(null=True)
    first = UnicodeAttribute(null=True)

    @staticmethod
    def key() -> tuple[str, str]:
        return "CALENDAR", "CALENDAR"
