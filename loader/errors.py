"""The loader's errors: each message is a sentence a user can act on.

Two outcomes of a run that did not load everything are kept apart, because they call
for different actions:
- *refused* (`LoadRefused`): something is wrong with a file (not a membership export,
  undecodable, empty, a required column missing). Running again changes nothing; fix or
  remove the file.
- *failed* (`LoadFailed`): an object could not be fetched or written (the network,
  throttling, a warehouse that did not answer or refused the write). When every
  failure was transient (loader/transient.py), running again later is the cure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loader.summary import LoadSummary


class LoadError(Exception):
    """A load could not be done; the message says what, where and what to do.

    `transient` is None when the error itself does not know; `loader.transient`
    then looks at its cause.
    """

    transient: bool | None = None


class SourceError(LoadError):
    """The source (S3 or the local file system) could not be listed or read."""


class RefusedObject(LoadError):
    """One object is not a membership export the loader can read; nothing of it was loaded."""

    transient = False

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"{uri}: {reason}")
        self.uri = uri
        self.reason = reason


class LoadIncomplete(LoadError):
    """The run finished, but some objects were refused or failed (the others were loaded).

    `summary` holds the whole run, including what was loaded.
    """

    def __init__(self, summary: LoadSummary) -> None:
        lines = []
        refused = [o for o in summary.objects if o.status == "refused"]
        failed = [o for o in summary.objects if o.status == "failed"]
        if refused:
            lines.append(f"{len(refused)} of {summary.objects_seen} object(s) refused; "
                         "nothing of them was loaded; fix or remove these files:")
            lines += [f"  - {o.message}" for o in refused]
        if failed:
            lines.append(f"{len(failed)} of {summary.objects_seen} object(s) failed to load; "
                         "nothing of them was written; run again once the cause is gone:")
            lines += [f"  - {o.message}" for o in failed]
        super().__init__("\n".join(lines))
        self.summary = summary


class LoadRefused(LoadIncomplete):
    """At least one object was refused: a file needs fixing, so no retry will help."""

    transient = False


class LoadFailed(LoadIncomplete):
    """No object was refused, but some could not be fetched or written.

    `transient` is True when every such failure was transient (retry later).
    """

    def __init__(self, summary: LoadSummary) -> None:
        super().__init__(summary)
        self.transient = all(o.transient for o in summary.objects if o.status == "failed")
