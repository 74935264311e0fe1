"""What a server's refusal means to the member, said through the client's own catalog.

A server answers every refusal with ``{"error": {"code", "message"}}``, and every pushed
op it refuses with ``{id, error, code}``; its ``message`` (``error``) is English, for logs
and ``curl``. The ``code`` is the stable part of the protocol, and
the member sees this module's sentence for it, in their own language (the front end
translates it: ``i18n``). A code this version does not know keeps the server's sentence;
so does ``forbidden``, whose sentence is a refusal from ``core.permissions``, which the
catalog holds word for word.
"""

from ..core.messages import N_, Message

SENTENCES = {
    "unauthorized": N_(
        "the server does not accept this device's member token; join the circle again"
    ),
    "removed": N_("you are no longer a member of this circle"),
    "not_found": N_("the server does not host this circle (or the invite's circle) any more"),
    "no_such_invite": N_("no such invite code on this server"),
    "invite_used": N_("this invite has been used up; ask for a new one"),
    "invite_expired": N_("this invite has expired; ask for a new one"),
    "key_taken": N_("this key belongs to another member; join with your own key"),
    "too_large": N_("what was sent is too large for the server"),
    "too_many_ops": N_("too many changes sent at once for the server"),
    "unavailable": N_("the server could not store this just now"),
    "internal": N_("the server hit an unexpected error"),
    "timeout": N_("the server gave up waiting for this device's request"),
}


# A pushed op the server refused (``{id, error, code}``), as its author reads it. The
# member sees it as "not sent: …", so each says what is wrong with the change.
OP_REFUSALS = {
    "invalid_op": N_("the server cannot read this change"),
    "unsupported_version": N_(
        "the server does not read this version of the app's changes; ask its host to update it"
    ),
    "duplicate_id": N_("another change on the server already has this change's id"),
    "wrong_circle": N_("the change belongs to another circle"),
    "local_only": N_("this change stays on this device"),
    "clock_ahead": N_(
        "this device's clock is more than a day ahead of the server's; set the clock right"
    ),
    "not_yours": N_("the change is not made in your name"),
    "forged": N_("the change's signature is not your key's"),
    "unsigned": N_("the change is not signed"),
    "stale_key": N_("the change is signed with a key you have replaced since"),
    "key_unproven": N_("the new key comes without its proof"),
}


def op_refusal(code: str | None, error: str) -> Message:
    """The member's sentence for a pushed op's refusal: its ``code``'s, or the server's
    own ``error`` for ``forbidden`` (a refusal from ``core.permissions``, which the
    catalog holds word for word) and for a code this version does not know."""
    return Message(OP_REFUSALS.get(code or "", error))


def sentence(code: str, status: int, message: str) -> Message:
    """The member's sentence for a server's refusal ``code`` (``message`` its own)."""
    if code == "rate_limited":
        return Message(N_("the server asks this device to slow down; it tries again shortly"))
    if code in SENTENCES:
        return Message(SENTENCES[code])
    if message:
        return Message(message)
    return Message("the server answered {status}", status=status)
