"""The HTTP API's CORS, as the template configures it: preflights answered by the API itself, and
the allow headers added to every response."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from local import stack


def configuration() -> dict | None:
    api = next(
        r for r in stack.sam_template()["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"
    )
    cors = api.get("Properties", {}).get("CorsConfiguration")
    if cors is True:  # SAM's shorthand: allow every origin
        return {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
    return cors or None


class Cors:
    def __init__(self, config: dict | None) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        return self.config is not None

    def _allowed_origin(self, origin: str | None) -> str | None:
        if origin is None or self.config is None:
            return None
        origins = [str(o) for o in self.config.get("AllowOrigins", [])]
        if "*" in origins and not self.config.get("AllowCredentials"):
            return "*"
        return origin if origin in origins or "*" in origins else None

    def add_headers(self, request: Request, response: Response) -> None:
        origin = self._allowed_origin(request.headers.get("Origin"))
        if origin is None or self.config is None:
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        if origin != "*":
            response.vary.add("Origin")
        if self.config.get("AllowCredentials"):
            response.headers["Access-Control-Allow-Credentials"] = "true"
        if self.config.get("ExposeHeaders"):
            response.headers["Access-Control-Expose-Headers"] = ",".join(self.config["ExposeHeaders"])

    def preflight(self, request: Request) -> Response:
        response = Response(status=204)
        response.headers.remove("Content-Type")
        if self._allowed_origin(request.headers.get("Origin")) is not None:
            cors = self.config or {}
            response.headers["Access-Control-Allow-Methods"] = ",".join(
                map(str, cors.get("AllowMethods", ["*"]))
            )
            allow_headers = [str(h) for h in cors.get("AllowHeaders", [])]
            if "*" in allow_headers:  # echo what the browser asks for
                allow_headers = [request.headers.get("Access-Control-Request-Headers", "*")]
            if allow_headers:
                response.headers["Access-Control-Allow-Headers"] = ",".join(allow_headers)
            if "MaxAge" in cors:
                response.headers["Access-Control-Max-Age"] = str(cors["MaxAge"])
            self.add_headers(request, response)
        return response
