"""The table's global secondary indexes (infra/template.yaml declares the same), used by the models."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection


class UsersIndex(GlobalSecondaryIndex):
    """Sparse: only user items carry `uid`, so settlement enumerates users without the rest."""

    class Meta:
        index_name = "users"
        projection = IncludeProjection(["created_month"])

    uid = UnicodeAttribute(hash_key=True)


class ThingsByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "things_by_owner"
        projection = KeysOnlyProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Listed(GlobalSecondaryIndex):
    """Sparse: only live things carry `listed` ("public" or "hidden"), newest first. Search reads
    the "public" partition; the fold walks both."""

    class Meta:
        index_name = "listed"
        projection = AllProjection()

    listed = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Ranked(GlobalSecondaryIndex):
    """Live things by their folded flattr count (all time): search's sort=flattrs."""

    class Meta:
        index_name = "ranked"
        projection = AllProjection()

    listed = UnicodeAttribute(hash_key=True)
    rank_total = NumberAttribute(range_key=True)


class RankedMonth(GlobalSecondaryIndex):
    """Public things flattred in a month (`month_listed` = the month), by that month's count."""

    class Meta:
        index_name = "ranked_month"
        projection = AllProjection()

    month_listed = UnicodeAttribute(hash_key=True)
    rank_month = NumberAttribute(range_key=True)
