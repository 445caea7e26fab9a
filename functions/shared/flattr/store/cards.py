"""The month card: every flattr a user made in one month, on one item.

    pk USER#<u>   sk CARD#<YYYY-MM>
    t<thing id>   "<epoch seconds>|<owner id>"  (a subscription's flattr: "s<epoch seconds>|<owner id>")
    n             how many flattrs the card holds
    sealed        the month, once settlement sealed it: no flattr is added after that

A click is ONE UpdateItem on the card (`add`): it sets the thing's attribute and adds 1 to `n`, on
condition that the thing is not on the card yet, the card is not sealed and `n` is under the cap.
Settlement's `seal` is one UpdateItem on the same item, so a click and the seal are ordered by
DynamoDB: a click either lands before the seal, and the seal returns it to be paid, or is refused.
The owner is kept so settlement needs no thing reads. Counters are derived from the table's stream
(store.tally), never written by the click.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.operand import Path

from ..domain.errors import MonthClosed, MonthFull
from . import wire
from .models import _Base, connection

PREFIX = "CARD#"
CAP = 1000  # flattrs a month: bounds the card's size (and a click's write units), and settlement's work


class Card(_Base):
    """The card's fixed attributes; the flattrs are attributes named `t<thing id>` (see `attr`)."""

    n = NumberAttribute(default=0)
    sealed = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, month: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"{PREFIX}{month}"


@dataclass(frozen=True)
class Entry:
    thing_id: str
    at: int  # epoch seconds
    owner_id: str
    via: str  # "click" | "subscription"


@dataclass(frozen=True)
class Month:
    user_id: str
    month: str
    flattrs: dict[str, Entry] = field(default_factory=dict)
    n: int = 0
    sealed: bool = False

    def owners(self) -> dict[str, str]:
        return {t: e.owner_id for t, e in self.flattrs.items()}

    def newest_first(self) -> list[Entry]:
        return sorted(self.flattrs.values(), key=lambda e: (-e.at, -int(e.thing_id)))


def attr(thing_id: str) -> str:
    return f"t{thing_id}"


def encode(at: int, owner_id: str, via: str = "click") -> str:
    return f"s{at}|{owner_id}" if via == "subscription" else f"{at}|{owner_id}"


def parse(user_id: str, month: str, raw: dict | None) -> Month:
    """A card as DynamoDB returns it (attribute values in wire format); an empty Month if none."""
    if not raw:
        return Month(user_id, month)
    flattrs = {}
    for name, value in raw.items():
        if name.startswith("t") and name[1:].isdigit() and "S" in value:
            at, owner = value["S"].split("|", 1)
            via = "subscription" if at.startswith("s") else "click"
            flattrs[name[1:]] = Entry(name[1:], int(at.lstrip("s")), owner, via)
    n = int(raw["n"]["N"]) if "n" in raw else len(flattrs)
    return Month(user_id, month, flattrs, n, "sealed" in raw)


def _client():
    return connection().client


def _table() -> str:
    return _Base.Meta.table_name


def _key(user_id: str, month: str) -> dict:
    pk, sk = Card.key(user_id, month)
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def add(user_id: str, month: str, thing_id: str, owner_id: str, at: int, via: str = "click") -> bool:
    """The click's one write. True: added; False: the thing was on the card already (a repeat).
    MonthClosed if settlement sealed the card; MonthFull at the cap."""
    try:
        _client().update_item(
            TableName=_table(),
            Key=_key(user_id, month),
            UpdateExpression="SET #t = :v ADD n :one",
            ConditionExpression="attribute_not_exists(#t) AND attribute_not_exists(sealed)"
            " AND (attribute_not_exists(n) OR n < :cap)",
            ExpressionAttributeNames={"#t": attr(thing_id)},
            ExpressionAttributeValues={
                ":v": {"S": encode(at, owner_id, via)},
                ":one": {"N": "1"},
                ":cap": {"N": str(CAP)},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item") or {}
    if attr(thing_id) in old:
        return False
    if "sealed" in old:
        raise MonthClosed(f"Your month {month} is already settled; this flattr cannot count.")
    raise MonthFull(f"You have made {CAP} flattrs in {month}, the most a month holds.")


def staged(
    user_id: str,
    month: str,
    thing_id: str,
    owner_id: str,
    at: int,
    via: str = "click",
    sealed_ok: bool = False,
):
    """`add` as (item, actions, condition) for a transaction (store.tx.Tx.update, label "flattr"):
    auto-submit's first flattr and a subscription's month. `sealed_ok`: the settlement that sealed
    the card adds its subscriptions' flattrs itself, and pays them."""
    t = Path(attr(thing_id))
    actions = [t.set(encode(at, owner_id, via)), Card.n.add(1)]
    condition = t.does_not_exist() & (Card.n.does_not_exist() | (Card.n < CAP))
    if not sealed_ok:
        condition = condition & Card.sealed.does_not_exist()
    return Card(*Card.key(user_id, month)), actions, condition


def read(user_id: str, month: str, *, consistent: bool = True) -> Month:
    got = _client().get_item(TableName=_table(), Key=_key(user_id, month), ConsistentRead=consistent)
    return parse(user_id, month, got.get("Item"))


def seal(user_id: str, month: str) -> dict[str, str]:
    """Stop the month's flattrs and return them ({thing id: owner id}): one UpdateItem, idempotent
    (a card that is not there is made, empty and sealed). Every flattr that `add` acknowledged for
    this month is in the answer; any later one is refused with month_closed."""
    got = _client().update_item(
        TableName=_table(),
        Key=_key(user_id, month),
        UpdateExpression="SET sealed = :m",
        ExpressionAttributeValues={":m": {"S": month}},
        ReturnValues="ALL_NEW",
    )
    return parse(user_id, month, got.get("Attributes")).owners()


def flattred(user_id: str, thing_id: str, month: str) -> bool:
    got = _client().get_item(
        TableName=_table(),
        Key=_key(user_id, month),
        ConsistentRead=True,
        ProjectionExpression="#t",
        ExpressionAttributeNames={"#t": attr(thing_id)},
    )
    return attr(thing_id) in (got.get("Item") or {})


def flattred_many(user_id: str, thing_ids: list[str], month: str) -> set[str]:
    """Which of these things the user flattred in `month`: one read of the card."""
    if not thing_ids:
        return set()
    return set(thing_ids) & set(read(user_id, month).flattrs)


def count(user_id: str, month: str) -> int:
    got = _client().get_item(
        TableName=_table(), Key=_key(user_id, month), ConsistentRead=True, ProjectionExpression="n"
    )
    return int((got.get("Item") or {}).get("n", {}).get("N", 0))


def months_of(user_id: str, *, through: str | None = None, limit: int = 3) -> list[Month]:
    """The user's cards, newest month first, from `through` (inclusive) back: one Query."""
    pk, _ = Card.key(user_id, "")
    values = {":pk": {"S": pk}, ":lo": {"S": PREFIX}}
    if through:
        condition = "#pk = :pk AND #sk BETWEEN :lo AND :hi"
        values[":hi"] = {"S": f"{PREFIX}{through}"}
    else:
        condition = "#pk = :pk AND begins_with(#sk, :lo)"
    got = _client().query(
        TableName=_table(),
        KeyConditionExpression=condition,
        ExpressionAttributeNames={"#pk": "pk", "#sk": "sk"},
        ExpressionAttributeValues=values,
        ScanIndexForward=False,
        Limit=limit,
    )
    return [parse(user_id, i["sk"]["S"][len(PREFIX) :], i) for i in got.get("Items", [])]


def as_item(user_id: str, month: str, flattrs: dict[str, str], at: int) -> dict:
    """A card holding `flattrs` ({thing id: owner id}, made at `at`) in DynamoDB's wire format:
    for writing many in bulk (a backfill, tests and the bench)."""
    pk, sk = Card.key(user_id, month)
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(len(flattrs))}}
    item.update({attr(t): {"S": encode(at, owner)} for t, owner in flattrs.items()})
    return item


def put_many(items: list[dict]) -> None:
    """Write cards made by `as_item`, 25 to a BatchWriteItem."""
    wire.put_many(items)
