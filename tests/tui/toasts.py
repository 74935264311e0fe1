"""What the member is told in toasts, read off the screen as they read it (the app's list
of notifications is Textual's own business): title and message, one string a toast."""


def toasts(app) -> list[str]:
    """Every toast on the current screen now (run the app with ``notifications=True``)."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]
