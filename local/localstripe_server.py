"""localstripe (PyPI), the local Stripe, as `make run` starts it: `python -m local.localstripe_server --port N`.

Two changes to its own `localstripe --port N`: it listens on 127.0.0.1 only (not every interface),
and it keeps its state in memory (it would pickle it to one fixed file in /tmp on every write, which
parallel stacks would share).
"""

from __future__ import annotations

import argparse
import logging


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()

    from aiohttp import web
    from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None  # in memory only, like moto
    logging.basicConfig(level=logging.WARNING)
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
