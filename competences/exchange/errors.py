"""The error every import format raises."""


class ImportRejected(ValueError):
    """A file that cannot be imported; ``errors`` names each bad row or field."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors
