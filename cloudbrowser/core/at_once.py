"""How many transfers run at once unless the user says otherwise.

A module of its own: the CLI's parser shows these in its help without importing the
engine (start-up: ``tests/gui/test_startup.py``); the engine's options and the window's
settings read them too.
"""

#: Files transferred at once (``TransferOptions.concurrency``).
FILES_AT_ONCE = 8
#: Files of at most 1 MiB transferred at once (``TransferOptions.small_concurrency``): the
#: window's and the CLI's default; the engine's own is ``FILES_AT_ONCE``.
SMALL_FILES_AT_ONCE = 32
