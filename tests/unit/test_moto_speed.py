"""The local DynamoDB's fast answers and projections (local.moto_safety) say exactly what moto's own
serializer and projection say, for any item: the tests, the local stack and the bench run on them."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core.responses import ActionContext, ActionResult
from moto.core.serialize import get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.responses import DynamoResult

from local import moto_safety

moto_safety.apply()

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
numbers = st.integers(-(10**12), 10**12).map(str) | st.decimals(-1000, 1000, places=3).map(
    lambda d: str(d.normalize())
)
binary = st.binary(min_size=1, max_size=8)
scalars = st.one_of(
    st.builds(lambda v: {"S": v}, names),
    st.builds(lambda v: {"N": v}, numbers),
    st.builds(lambda v: {"B": v}, binary),
    st.builds(lambda v: {"BOOL": v}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda v: {"SS": v}, st.lists(names, min_size=1, max_size=3, unique=True)),
    st.builds(
        lambda v: {"NS": v}, st.lists(st.integers(-99, 99).map(str), min_size=1, max_size=3, unique=True)
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3))
        | st.builds(lambda v: {"M": v}, st.dictionaries(names, inner, max_size=3))
    ),
    max_leaves=8,
)
items = st.dictionaries(names, values, max_size=6).map(lambda attrs: {"pk": {"S": "USER#u1"}, **attrs})

SERVICE = get_service_model("dynamodb")


def context(operation: str) -> ActionContext:
    return ActionContext(
        SERVICE, SERVICE.operation_model(operation), get_serializer_class("dynamodb", "json"), None
    )


def stock_answer(operation: str, result: dict) -> tuple:
    return ActionResult.execute_result(DynamoResult(result), context(operation))


def canonical(value):
    """An answer as DynamoDB means it: the members of a set in no order."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def stock_and_fast(operation: str, result: dict) -> tuple[dict, dict]:
    stock = stock_answer(operation, result)
    fast = DynamoResult(result).execute_result(context(operation))
    assert fast[:2] == stock[:2]
    return canonical(json.loads(stock[2])), canonical(json.loads(fast[2]))


def raw(item: dict) -> dict:
    """An item as moto's responses hand it to the serializer."""
    return Item(DynamoType(item["pk"]), None, item).describe_attrs()["Item"]


@settings(max_examples=150, deadline=None)
@given(st.lists(items, max_size=4), st.booleans(), st.sampled_from(["Query", "Scan"]))
def test_a_query_answers_as_moto_would(found, more, operation):
    result = {
        "Items": [raw(i) for i in found],
        "Count": len(found),
        "ScannedCount": len(found),
        "LastEvaluatedKey": {"pk": {"S": "USER#u1"}} if more else None,
        "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5, "Table": None},
    }
    stock, fast = stock_and_fast(operation, result)
    assert fast == stock


@settings(max_examples=100, deadline=None)
@given(st.lists(items, max_size=4), st.sampled_from(["GetItem", "UpdateItem", "BatchGetItem", "PutItem"]))
def test_an_item_answer_says_what_moto_would(found, operation):
    if operation == "BatchGetItem":
        result = {"Responses": {"t": [raw(i) for i in found]}, "UnprocessedKeys": {}, "ConsumedCapacity": []}
    elif operation == "GetItem":
        result = {"Item": raw(found[0])} if found else {}
    else:  # an answer the operation's shape does not have is left out, as moto leaves it
        result = {"Attributes": raw(found[0])} if found else {"Extra": 1}
    stock, fast = stock_and_fast(operation, result)
    assert fast == stock


@settings(max_examples=150, deadline=None)
@given(items, st.data())
def test_a_projection_picks_what_moto_would(item, data):
    whole = Item(DynamoType(item["pk"]), None, item)
    wanted = data.draw(st.lists(st.sampled_from([*item, "absent"]), min_size=1, unique=True))
    paths = [[name] for name in wanted]
    stock = moto_safety.STOCK["project"](whole, paths)
    fast = whole.project(paths)
    answer = {
        name: canonical(json.loads(stock_answer("GetItem", {"Item": p.describe_attrs()["Item"]})[2]))
        for name, p in (("stock", stock), ("fast", fast))
    }
    assert answer["fast"] == answer["stock"]
    assert whole.to_json() == Item(DynamoType(item["pk"]), None, item).to_json()  # left as it was


@settings(max_examples=100, deadline=None)
@given(items, st.integers(0, 3))
def test_an_item_is_built_and_limited_in_size_as_moto_would(item, big):
    from moto.dynamodb.exceptions import ItemSizeTooLarge

    item = {**item, **{f"big{i}": {"S": "x" * 150_000} for i in range(big)}}  # 3 of them: too large

    def built(init):
        made = Item.__new__(Item)
        try:
            init(made, DynamoType(item["pk"]), None, item)
        except ItemSizeTooLarge:
            return "too large"
        return made.describe_attrs()["Item"]

    stock, fast = built(moto_safety.STOCK["item_init"]), built(Item.__init__)
    assert (fast == "too large") == (big == 3)
    if fast != "too large":
        answer = {
            name: stock_answer("GetItem", {"Item": made})[2]
            for name, made in (("stock", stock), ("fast", fast))
        }
        assert canonical(json.loads(answer["fast"])) == canonical(json.loads(answer["stock"]))
    else:
        assert stock == "too large"


def test_an_item_no_table_holds_is_freed():
    """moto lists every model object it makes; items were never freed, copies and projections
    included, and every full collection walked them."""
    import gc
    import weakref

    made = Item(DynamoType({"S": "USER#u1"}), None, {"pk": {"S": "USER#u1"}, "funds": {"N": "5"}})
    gone = weakref.ref(made.project([["funds"]]))
    alive = weakref.ref(made)
    del made
    gc.collect()
    assert gone() is None and alive() is None
