"""Errors of the xAPI layer, each mapped to one HTTP status by the LRS API."""


class StatementError(ValueError):
    """A statement that cannot be stored as it is (HTTP 400)."""


class StatementConflict(StatementError):
    """A statement whose id is stored already with a different content (HTTP 409)."""


class StatementForbidden(StatementError):
    """A statement the client's credentials may not store, such as a void of another collectivity's statement
    (HTTP 403)."""


class ValidationError(StatementError):
    """A statement that breaks a rule of xAPI 1.0.3; the message names the field path and the rule."""

    def __init__(self, path: str, rule: str):
        self.path, self.rule = path, rule
        super().__init__(f"{path}: {rule}")
