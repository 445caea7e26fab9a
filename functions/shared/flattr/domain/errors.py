"""Every refusal the system can give, as a code a client can act on."""

from __future__ import annotations


class FlattrError(Exception):
    """A client-facing refusal. `code` is stable API; `message` is for humans."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class ValidationFailed(FlattrError):
    code, status = "invalid_request", 400


class Unauthorized(FlattrError):
    code, status = "unauthorized", 401


class Forbidden(FlattrError):
    code, status = "forbidden", 403


class NotFound(FlattrError):
    code, status = "not_found", 404


class ThingNotFound(NotFound):
    code = "thing_not_found"

    def __init__(self, message: str = "No thing has that id."):
        super().__init__(message)


class FlattrOwner(FlattrError):
    code, status = "flattr_owner", 403


class FlattrOnce(FlattrError):
    code, status = "flattr_once", 403


class NoMeans(FlattrError):
    code, status = "no_means", 402


class OwnerNotParticipating(FlattrError):
    code, status = "owner_not_participating", 409


class MonthClosed(FlattrError):
    code, status = "month_closed", 409


class MonthNotOver(FlattrError):
    code, status = "month_not_over", 409


class PreviousMonthOpen(FlattrError):
    code, status = "previous_month_open", 409


class UrlTaken(FlattrError):
    code, status = "url_taken", 409


class InsufficientRevenue(FlattrError):
    code, status = "insufficient_revenue", 409


class InvalidSignature(FlattrError):
    code, status = "invalid_signature", 401


class Conflict(FlattrError):
    code, status = "conflict", 409
