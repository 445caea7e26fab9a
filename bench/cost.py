"""What a click and a settled user-month cost on AWS, from counted requests and modeled units.

Every price the bench uses is in PRICES, and nowhere else: us-east-1 list prices, on demand, no free
tier. Sources: AWS-LOCAL-FACTS.md "Limits that shape the design" (HTTP API, Lambda arm64, DynamoDB on
demand), and the Amazon SQS pricing page for standard queues.
"""

from __future__ import annotations

import math

PRICES = {  # USD
    "http_api_per_million_requests": 1.00,  # API Gateway HTTP API, the first 300 M requests a month
    "lambda_per_million_requests": 0.20,
    "lambda_arm64_per_gb_second": 0.0000133334,
    "dynamodb_per_million_write_units": 0.625,  # on-demand write request units
    "dynamodb_per_million_read_units": 0.125,  # on-demand read request units
    "sqs_standard_per_million_requests": 0.40,  # each 64 KB chunk of a request counts as one
}
M = 1e6


def lambda_duration_cost(ms: float, memory_mb: int) -> float:
    """Lambda bills duration rounded up to the millisecond, times the memory configured."""
    return math.ceil(ms) / 1000 * (memory_mb / 1024) * PRICES["lambda_arm64_per_gb_second"]


def per_click(
    handler_ms: float,
    memory_mb: int,
    wcu: float,
    rcu: float,
    tally: dict | None = None,
    tally_memory_mb: int = 512,
    notify_memory_mb: int = 512,
) -> dict[str, float]:
    """USD per million clicks, by line: the click itself, and (`tally`, from bench.tally) its share
    of the stream tally. Stream reads are free for a Lambda trigger; the tally's invocations are one
    per batch, its duration the batch's, rounded up per invocation. The flattr.received notices the
    tally queues are the click's too: the tally's SQS sends, and the notification worker's
    receives, deletes, invocations and reads."""
    lines = {
        "http_api": PRICES["http_api_per_million_requests"] / M,
        "lambda_requests": PRICES["lambda_per_million_requests"] / M,
        "lambda_duration": lambda_duration_cost(handler_ms, memory_mb),
        "dynamodb_writes": wcu * PRICES["dynamodb_per_million_write_units"] / M,
        "dynamodb_reads": rcu * PRICES["dynamodb_per_million_read_units"] / M,
    }
    if tally is not None:
        per = tally["invocations_per_click"]
        lines.update(
            {
                "tally_lambda_requests": per * PRICES["lambda_per_million_requests"] / M,
                "tally_lambda_duration": per * lambda_duration_cost(tally["batch_ms"], tally_memory_mb),
                "tally_dynamodb_writes": tally["wcu_per_click"]
                * PRICES["dynamodb_per_million_write_units"]
                / M,
                "tally_dynamodb_reads": tally["rcu_per_click"]
                * PRICES["dynamodb_per_million_read_units"]
                / M,
            }
        )
    if tally is not None and "notify_worker" in tally:
        worker = tally["notify_worker"]
        per = worker["invocations_per_click"]
        sqs = tally["notices"]["sqs_requests_per_click"] + worker["sqs_requests_per_click"]
        lines.update(
            {
                "notices_sqs_requests": sqs * PRICES["sqs_standard_per_million_requests"] / M,
                "notices_lambda_requests": per * PRICES["lambda_per_million_requests"] / M,
                "notices_lambda_duration": per
                * lambda_duration_cost(worker["ms_per_invocation"], notify_memory_mb),
                "notices_dynamodb": (
                    worker["wcu_per_click"] * PRICES["dynamodb_per_million_write_units"]
                    + worker["rcu_per_click"] * PRICES["dynamodb_per_million_read_units"]
                )
                / M,
            }
        )
    out = {k: round(v * 1e6, 4) for k, v in lines.items()}
    out["total"] = round(sum(lines.values()) * 1e6, 4)
    return out


def per_user_month(
    *, wcu: float, rcu: float, sqs_requests: float, invocations: float, worker_ms: float, memory_mb: int
) -> dict[str, float]:
    """USD per settled user-month, by line. Duration is the worker's time per user, unrounded: one
    invocation settles a batch of ten users, and it is the batch that is rounded up."""
    lines = {
        "dynamodb_writes": wcu * PRICES["dynamodb_per_million_write_units"] / M,
        "dynamodb_reads": rcu * PRICES["dynamodb_per_million_read_units"] / M,
        "sqs": sqs_requests * PRICES["sqs_standard_per_million_requests"] / M,
        "lambda_requests": invocations * PRICES["lambda_per_million_requests"] / M,
        "lambda_duration": worker_ms / 1000 * (memory_mb / 1024) * PRICES["lambda_arm64_per_gb_second"],
    }
    out = {k: float(f"{v:.3g}") for k, v in lines.items()}
    out["total"] = float(f"{sum(lines.values()):.4g}")
    return out
