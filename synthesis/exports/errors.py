"""The one error every export format raises for a failure the user can fix."""


class ExportError(Exception):
    """A failure the user can understand and fix; `message` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
