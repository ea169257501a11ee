"""What a load run did, object by object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# refused: the file is wrong (fix it); failed: it could not be fetched or written.
Status = Literal["loaded", "skipped", "refused", "failed"]


@dataclass
class ObjectResult:
    """The outcome for one source object."""

    uri: str
    etag: str
    size_bytes: int
    status: Status
    rows_loaded: int = 0
    rows_rejected: int = 0
    encoding: str | None = None
    # How the records were read: "lines" (byte-level fast path) or "csv" (csv module).
    reader: str | None = None
    seconds: float = 0.0
    message: str = ""
    # For a failed object: whether the failure was transient (worth running again later).
    transient: bool = False
    # The exception that refused the object, for callers that look at its cause.
    error: Exception | None = field(default=None, repr=False, compare=False)


@dataclass
class LoadSummary:
    """Totals of one `load()` run plus the per-object details in `objects`."""

    load_id: str
    target: str
    objects: list[ObjectResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def objects_seen(self) -> int:
        return len(self.objects)

    @property
    def objects_loaded(self) -> int:
        return sum(o.status == "loaded" for o in self.objects)

    @property
    def objects_skipped(self) -> int:
        return sum(o.status == "skipped" for o in self.objects)

    @property
    def objects_refused(self) -> int:
        return sum(o.status == "refused" for o in self.objects)

    @property
    def objects_failed(self) -> int:
        return sum(o.status == "failed" for o in self.objects)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.objects)

    @property
    def rows_rejected(self) -> int:
        return sum(o.rows_rejected for o in self.objects)

    def text(self) -> str:
        """The short summary the command prints."""
        line = (
            f"objects seen {self.objects_seen}, loaded {self.objects_loaded}, "
            f"skipped {self.objects_skipped} (unchanged), refused {self.objects_refused}, "
            f"failed {self.objects_failed}; "
            f"rows loaded {self.rows_loaded}, rows rejected {self.rows_rejected}; "
            f"{self.seconds:.1f} s (target {self.target}, load id {self.load_id})"
        )
        details = [
            f"  {o.status:8} {o.uri}: {o.rows_loaded} rows, {o.rows_rejected} rejected"
            if o.status == "loaded"
            else f"  {o.status:8} {o.message or o.uri}"
            for o in self.objects
        ]
        return "\n".join([line, *details])
