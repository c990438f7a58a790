"""Where a connection comes from: a saved connection or an AWS profile, found by name.

Shared by the window (``gui/connector.py``, which runs these on workers and asks for what
is missing with dialogs) and the command line (``cli/``, which asks on the terminal or
fails with the same message). A *source* is text that can be stored in the settings:
``saved:<name>`` (a profile in ``connections.json``) or ``aws:<name>`` (a profile of the AWS
shared config). Functions here may read the keyring or the AWS config: never call them on
the GUI thread.
"""

from __future__ import annotations

from cloudbrowser.core.backends.s3.aws_auth import list_aws_profiles
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.profiles import ProfileStore

SAVED = "saved:"
AWS = "aws:"
#: How an AWS profile's connection is named (``AwsProfile.settings``): the journal records
#: transfers by this name, so a restarted process finds the profile again from it.
AWS_SUFFIX = " (AWS)"


class UnknownConnection(ConfigError):
    """No saved connection or AWS profile has the name asked for. The hint names where
    the window lists them; the command line names its own command instead."""


def saved_source(name: str) -> str:
    return f"{SAVED}{name}"


def aws_source(name: str) -> str:
    return f"{AWS}{name}"


def find_source(name: str, store: ProfileStore) -> str:
    """``--connection NAME``: a saved connection, else an AWS profile of that name.

    Raises ConfigError when there is neither (or a config file cannot be read).
    """
    if any(p.name == name for p in store.load()):
        return saved_source(name)
    if any(p.name == name for p in list_aws_profiles()):
        return aws_source(name)
    raise UnknownConnection(
        f"There is no saved connection or AWS profile named “{name}”.",
        hint="Open Connections… to see the names, or add one.",
    )


def source_of_connection_name(name: str, store: ProfileStore) -> str | None:
    """The source behind a connection's display name (as the journal records it), if any:
    a saved connection of that name, or ``"<profile> (AWS)"`` for an AWS profile."""
    if any(p.name == name for p in store.load()):
        return saved_source(name)
    if name.endswith(AWS_SUFFIX):
        profile = name.removesuffix(AWS_SUFFIX)
        if any(p.name == profile for p in list_aws_profiles()):
            return aws_source(profile)
    return None
