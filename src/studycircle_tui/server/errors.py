"""The refusal a client is told about, raised anywhere in the server and answered by the
app (``app.py``) as ``{"error": {"code", "message"}}`` with its status."""


class ApiError(Exception):
    """A refusal the client is told about: HTTP status, a short code and a sentence."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
