"""core/loggers: a record nobody wants imports nothing; a wanted one, or any library's
import of ``logging``, finds the log set up as if it had been from the start.

Each case runs in a fresh interpreter: pytest itself has imported ``logging``.
"""

from __future__ import annotations

import subprocess
import sys

from tests.cli.helpers import REPO


def run_fresh(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_unwanted_records_import_nothing() -> None:
    out = run_fresh(
        "import sys\n"
        "from cloudbrowser.core.loggers import DEBUG, WARNING, logger\n"
        "log = logger('cloudbrowser.x')\n"
        "log.debug('not wanted %s', 1)\n"
        "log.info('nor this')\n"
        "print(log.isEnabledFor(DEBUG), log.isEnabledFor(WARNING), 'logging' in sys.modules)\n"
    )
    assert out.split() == ["False", "True", "False"]


def test_a_wanted_record_reaches_the_handler_set_up_at_import_naming_its_caller() -> None:
    out = run_fresh(
        "import sys\n"
        "from cloudbrowser.core.loggers import after_import, logger\n"
        "def configure():\n"
        "    import logging\n"
        "    handler = logging.StreamHandler(sys.stdout)\n"
        "    handler.setFormatter(logging.Formatter('%(name)s %(funcName)s %(message)s'))\n"
        "    logging.getLogger().addHandler(handler)\n"
        "after_import(configure)\n"
        "log = logger('cloudbrowser.x')\n"
        "def caller():\n"
        "    log.warning('odd reply for %s', 'k')\n"
        "caller()\n"
    )
    assert out.strip() == "cloudbrowser.x caller odd reply for k"


def test_a_librarys_import_of_logging_sets_the_log_up_before_its_first_record() -> None:
    out = run_fresh(
        "import sys\n"
        "from cloudbrowser.core.loggers import after_import\n"
        "def configure():\n"
        "    import logging\n"
        "    handler = logging.StreamHandler(sys.stdout)\n"
        "    handler.setFormatter(logging.Formatter('configured: %(message)s'))\n"
        "    logging.getLogger().addHandler(handler)\n"
        "after_import(configure)\n"
        "import logging\n"  # as botocore, keyring or concurrent.futures would
        "logging.getLogger('some.library').warning('from a library')\n"
        "print(sum(type(f).__name__ == '_AfterImport' for f in sys.meta_path))\n"
    )
    assert out.split("\n")[:2] == ["configured: from a library", "0"]


def test_undone_before_logging_is_imported_configures_nothing() -> None:
    out = run_fresh(
        "import sys\n"
        "from cloudbrowser.core.loggers import after_import\n"
        "undo = after_import(lambda: print('configured'))\n"
        "undo()\n"
        "import logging\n"
        "print('imported', len(logging.getLogger().handlers))\n"
    )
    assert out.strip() == "imported 0"
