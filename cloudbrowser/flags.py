"""The connection flags both command lines share (the window's and the commands'):
``--endpoint``, ``--profile``, ``--access-key-id`` and the rest, read into a connection.

Qt-free and boto-free, so that parsing them costs nothing at start-up.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from cloudbrowser.core.errors import ConfigError

if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

#: Where the secret for ``--access-key-id`` comes from: never the command line, which other
#: users can read (``ps``) and shells keep in history.
SECRET_ENV = "CLOUDBROWSER_SECRET_ACCESS_KEY"
SESSION_TOKEN_ENV = "CLOUDBROWSER_SESSION_TOKEN"
#: ``cloudbrowser --demo-server N``: the hidden command line of the demo server's child
#: process in a frozen build, where ``sys.executable`` is the app itself and has no ``-m``
#: (see demo.DemoServer). Here, not in demo.py: ``__main__`` checks for it on every start,
#: and the demo module is imported only with ``--demo``.
DEMO_SERVER_FLAG = "--demo-server"


def settings_from_args(args: argparse.Namespace) -> tuple[ConnectionSettings, Credentials | None]:
    """The connection described by the command line. Raises ConfigError."""
    # Here: a start without connection options (the window's usual one) does not compile
    # the connection's dataclasses before its first paint.
    from cloudbrowser.core.connection import ConnectionSettings, Credentials

    credentials = None
    if args.access_key_id:
        secret = os.environ.get(SECRET_ENV, "")
        if not secret:
            raise ConfigError(
                f"--access-key-id needs the secret key in the environment variable {SECRET_ENV}.",
                hint="Secrets are never read from the command line, where others can see them.",
            )
        credentials = Credentials(args.access_key_id, secret, os.environ.get(SESSION_TOKEN_ENV, ""))
    if args.profile and credentials:
        raise ConfigError("Use either --profile or --access-key-id, not both.")
    verify: bool | str = args.ca_bundle or not args.no_verify_tls
    name = args.name or (
        args.endpoint or (f"AWS ({args.profile})" if args.profile else "Amazon S3")
    )
    settings = ConnectionSettings(
        name=name,
        endpoint_url=args.endpoint or None,
        region=args.region or ("us-east-1" if args.endpoint else None),
        addressing_style=args.addressing_style or ("path" if args.endpoint else "auto"),
        aws_profile=args.profile or None,
        anonymous=args.anonymous,
        verify_tls=verify,
    )
    return settings, credentials
