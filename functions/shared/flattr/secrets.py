"""Secrets: SSM SecureString parameters whose *names* the template passes in, read at run time
through Powertools and cached for five minutes, so a rotated secret is picked up without a deploy.
A secret is never logged or put in an error.

Powertools' parameters utility imports boto3 (its package imports every provider), so it is
imported on the first read, not with the function: a container that never reads a secret never
loads it, and the rest pay for it once, on the request that needs it. Its SSM client is made from
the store's botocore session: a client of its own default session would load botocore's data
files a second time (about 100 ms more of CPU on that first read).
"""

from __future__ import annotations

MAX_AGE = 300  # seconds a secret read from SSM is reused


def get(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    if "ssm" not in DEFAULT_PROVIDERS:  # the provider get_parameter uses (clear_caches drops it)
        DEFAULT_PROVIDERS["ssm"] = parameters.SSMProvider(boto3_client=_ssm_client())
    return parameters.get_parameter(name, decrypt=True, max_age=MAX_AGE)


def _ssm_client():
    from .store import models

    connection = models.connection()
    return connection.session.create_client("ssm", connection.region)
