"""What a share link grants when it carries the connection's own credential
(``Features.link_grant``: an Azure SAS, which cannot sign another), said in the window's
words: the Share action's warning before such a link is made, and the Share dialog.

Each line is a whole sentence in both of a provider's words for a bucket (Azure's
"container"), so that a translator never sees a word spliced into one.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from cloudbrowser.core.storage import LinkGrant
from cloudbrowser.gui.dates import format_time

#: The engine's permission words (``core/storage.GRANT_WORDS``), marked for translation:
#: written out, as lupdate reads only literals (tests/gui/test_translations.py keeps the
#: two lists one).
_WORDS = {
    word: str(QT_TRANSLATE_NOOP("LinkGrant", word))
    for word in (
        "read",
        "add",
        "create",
        "write",
        "update",
        "delete",
        "delete versions",
        "delete permanently",
        "list",
        "read and write tags",
        "find by tags",
        "move",
        "execute",
        "change owner",
        "change permissions",
        "set immutability policy",
        "process messages",
    )
}


def _t(text: str) -> str:
    return QCoreApplication.translate("LinkGrant", text)


def permissions_text(grant: LinkGrant) -> str:
    """ "read, write and list", translated; what a stored access policy grants where the
    credential leaves it to the policy."""
    words = [_t(_WORDS[w]) if w in _WORDS else w for w in grant.permissions]
    if not words:
        return _t("whatever its stored access policy “{policy}” grants").format(policy=grant.policy)
    if len(words) == 1:
        return words[0]
    return _t("{first} and {last}").format(first=", ".join(words[:-1]), last=words[-1])


def scope_text(grant: LinkGrant, bucket_word: str) -> str:
    """Where the link's holder may do it: a whole bucket, a folder, one object."""
    name = grant.scope_name
    container = bucket_word == "container"
    if grant.scope == "account":
        return (
            _t("every container of the storage account, and those created later")
            if container
            else _t("every bucket of the account, and those created later")
        )
    if grant.scope == "bucket":
        if container:
            return (
                _t("the whole container “{name}”: every blob in it, and those added later")
                if name
                else _t("the whole container: every blob in it, and those added later")
            ).format(name=name)
        return (
            _t("the whole bucket “{name}”: every object in it, and those added later")
            if name
            else _t("the whole bucket: every object in it, and those added later")
        ).format(name=name)
    if grant.scope == "folder":
        return (
            _t("everything under “{name}”, and what is added there later")
            if name
            else _t("everything under its folder, and what is added there later")
        ).format(name=name)
    return _t("only the one object it was made for")


def end_text(grant: LinkGrant) -> str:
    """Until when, in the user's locale; or why that is not known here."""
    if grant.ends:
        return _t("until {when}, when the SAS expires").format(when=format_time(grant.ends))
    if grant.policy:
        return _t(
            "until its stored access policy “{policy}” says: that is kept on the server, "
            "where cloudbrowser cannot see it"
        ).format(policy=grant.policy)
    return _t("no expiry stated: the SAS names none")


def grant_lines(grant: LinkGrant, bucket_word: str) -> list[str]:
    """One line each: what, where, until when, and the limits the credential sets."""
    lines = [
        _t("• May: {what} ({spelled})").format(what=permissions_text(grant), spelled=grant.spelled),
        _t("• On: {where}").format(where=scope_text(grant, bucket_word)),
        _t("• For how long: {end}").format(end=end_text(grant)),
    ]
    if grant.addresses:
        lines.append(_t("• Only from the addresses {addresses}").format(addresses=grant.addresses))
    if grant.protocols:
        lines.append(_t("• Only over {protocols}").format(protocols=grant.protocols))
    return lines


def warning_text(grant: LinkGrant, bucket_word: str, count: int) -> str:
    """The question asked before a link that carries a grant of more than reading is
    made: what it grants, and that the lifetime chosen cannot shorten it."""
    intro = (
        _t(
            "This connection signs in with a SAS that grants more than reading, and a SAS "
            "cannot sign another: the link would be the object's address with this SAS. "
            "Whoever has the link can do all that the SAS grants, not only download the "
            "object:"
        )
        if count == 1
        else _t(
            "This connection signs in with a SAS that grants more than reading, and a SAS "
            "cannot sign another: each of the {n} links would be an object's address with "
            "this SAS. Whoever has one can do all that the SAS grants, not only download "
            "the object:"
        ).format(n=count)
    )
    outro = _t(
        "The lifetime chosen for the link cannot shorten this: it works as long as the SAS "
        "does. For a read-only link that ends when you choose, connect with the account "
        "key or Entra ID."
    )
    return "\n\n".join((intro, "\n".join(grant_lines(grant, bucket_word)), outro))
