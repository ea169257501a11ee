"""The loader's errors: each message is a sentence a user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loader.summary import LoadSummary


class LoadError(Exception):
    """A load could not be done; the message says what, where and what to do."""


class SourceError(LoadError):
    """The source (S3 or the local file system) could not be listed or read."""


class RefusedObject(LoadError):
    """One object is not a membership export the loader can read; nothing of it was loaded."""

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"{uri}: {reason}")
        self.uri = uri
        self.reason = reason


class LoadRefused(LoadError):
    """The run finished, but one or more objects were refused (the others were loaded).

    `summary` holds the whole run, including what was loaded.
    """

    def __init__(self, summary: LoadSummary) -> None:
        refused = [o for o in summary.objects if o.status == "refused"]
        lines = [f"{len(refused)} of {summary.objects_seen} object(s) refused; nothing of them was loaded:"]
        lines += [f"  - {o.message}" for o in refused]
        super().__init__("\n".join(lines))
        self.summary = summary
