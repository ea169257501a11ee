"""Writing the report: the page (atomically, so a reader never sees half of it) and,
beside it, one PNG per chart for slides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vl_convert

PNG_SCALE = 2


def write_page(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(html, encoding="utf-8")
    partial.replace(path)


def write_pngs(folder: Path, specs: dict[str, dict[str, Any]], vl_version: str | None) -> list[str]:
    """`<key>.png` for each chart in `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, spec in specs.items():
        path = folder / f"{key}.png"
        path.write_bytes(vl_convert.vegalite_to_png(spec, vl_version=vl_version, scale=PNG_SCALE))
        written.append(str(path))
    return written
