"""The HTTP API's routing: which of the template's routes takes a request, and its path parameters."""

from __future__ import annotations

from dataclasses import dataclass

from local.stack import FunctionSpec


@dataclass(frozen=True)
class Route:
    method: str  # "ANY" or an upper-case method
    path: str  # "/things/{id}", or "$default"
    fn: FunctionSpec
    needs_auth: bool

    @property
    def key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """(specificity, path parameters) when this route takes the request; lower specificity wins."""
        if self.method not in ("ANY", method):
            return None
        want, got = self.path.split("/")[1:], path.split("/")[1:]
        params: dict[str, str] = {}
        rank: list[int] = []
        for i, seg in enumerate(want):
            if seg.startswith("{") and seg.endswith("+}"):  # greedy {proxy+}: the rest, at least one
                if i >= len(got) or not got[i]:
                    return None
                params[seg[1:-2]] = "/".join(got[i:])
                return (*rank, 2, int(self.method == "ANY")), params
            if i >= len(got):
                return None
            if seg.startswith("{") and seg.endswith("}"):
                if not got[i]:
                    return None
                params[seg[1:-1]] = got[i]
                rank.append(1)
            elif seg == got[i]:
                rank.append(0)  # a literal segment beats a variable one at the same place
            else:
                return None
        if len(got) != len(want):
            return None
        return (*rank, int(self.method == "ANY")), params


def find_route(
    routes: list[Route], default: Route | None, method: str, path: str
) -> tuple[Route | None, dict[str, str]]:
    """The most specific matching route, else the $default route (which may be None)."""
    best: tuple[tuple[int, ...], Route, dict] | None = None
    for route in routes:
        found = route.match(method, path)
        if found and (best is None or found[0] < best[0]):
            best = (found[0], route, found[1])
    if best:
        return best[1], best[2]
    return default, {}
