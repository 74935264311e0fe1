"""Sentences meant for a person, kept in English and translated where they are shown.

The core, the sync engine and the server answer in English and never translate: one
process serves members in several languages at once (an ssh-serve worker, a server), and
a refusal or a notice may be shown to each of them. So a sentence is *marked* here and
translated by the front end that shows it, in that member's language
(``studycircle_tui.i18n``, docs/architecture.md "Languages"):

- ``N_("the circle already exists")`` marks a fixed sentence: it returns it unchanged,
  and the catalog extractor (``make i18n``) finds it; the display looks it up.
- ``Message("unknown time zone '{zone}'", zone=tz)`` is a sentence with parameters: it
  *is* the English text (a ``str``, so logs, the server's answers and tests read it as
  before) and keeps its template and parameters, so the display translates the template
  and fills it in again.
"""

import errno
from typing import Any


def N_(text: str) -> str:
    """Mark ``text`` for translation at display; return it unchanged."""
    return text


class Message(str):
    """An English sentence made from ``template`` and ``params`` (``str.format`` fields);
    ``studycircle_tui.i18n`` translates the template and formats it again. A field that is
    a ``Message`` is translated too; plain text in a field (a name, a path) never is, so
    a sentence passed on as a field is wrapped: ``Message(sentence)``."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> "Message":
        # Without fields it is a sentence as it is (a server's, a marked one): not formatted.
        made = super().__new__(cls, template.format(**params) if params else template)
        made.template = template
        made.params = params
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled between processes (ssh-serve's workers) with what makes it translatable.
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


# What the operating system says, for the failures a person meets with files and ports;
# its own strerror is in the C library's language, usually English.
OS_ERRORS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("not permitted"),
    errno.EISDIR: N_("it is a folder"),
    errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EEXIST: N_("it exists already"),
    errno.ENOSPC: N_("no space left on the device"),
    errno.EROFS: N_("the file system is read-only"),
    errno.EADDRINUSE: N_("the address is in use already"),
    errno.EADDRNOTAVAIL: N_("the address is not one of this machine's"),
}


def os_reason(error: OSError) -> str:
    """Why an operating-system call failed, as a sentence the display can translate."""
    return OS_ERRORS.get(error.errno or -1, error.strerror or str(error))


def reason_of(error: BaseException) -> Message:
    """An exception's sentence as a ``Message``, to pass on as a field of another."""
    first = error.args[0] if len(error.args) == 1 else None
    if isinstance(first, Message):
        return first
    return Message(first if isinstance(first, str) else str(error))
