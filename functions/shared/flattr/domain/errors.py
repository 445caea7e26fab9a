"""Every refusal the system can give, as a code a client can act on (no HTTP here: flattr.http)."""

from __future__ import annotations


class FlattrError(Exception):
    """A client-facing refusal. `code` is stable API; `message` is for humans. The kind of refusal is
    the class; the HTTP layer gives each kind its status (flattr.http.STATUSES)."""

    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ValidationFailed(FlattrError):
    code = "invalid_request"


class Unauthorized(FlattrError):
    code = "unauthorized"


class Forbidden(FlattrError):
    code = "forbidden"


class NotFound(FlattrError):
    code = "not_found"


class ThingNotFound(NotFound):
    code = "thing_not_found"

    def __init__(self, message: str = "No thing has that id."):
        super().__init__(message)


class FlattrOwner(FlattrError):
    code = "flattr_owner"


class FlattrOnce(FlattrError):
    code = "flattr_once"


class NoMeans(FlattrError):
    code = "no_means"


class OwnerNotParticipating(FlattrError):
    code = "owner_not_participating"


class MonthClosed(FlattrError):
    code = "month_closed"


class MonthNotOver(FlattrError):
    code = "month_not_over"


class PreviousMonthOpen(FlattrError):
    code = "previous_month_open"


class UrlTaken(FlattrError):
    code = "url_taken"


class InsufficientRevenue(FlattrError):
    code = "insufficient_revenue"


class InvalidSignature(FlattrError):
    code = "invalid_signature"


class Conflict(FlattrError):
    code = "conflict"


class ProviderUnavailable(FlattrError):
    code = "payment_provider_unavailable"


class MonthFull(Conflict):
    """A month's card holds at most store.cards.CAP flattrs."""

    code = "month_full"
