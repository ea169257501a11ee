"""Opening the report in headless Chromium, for its tests and its screenshot.

Talks the DevTools protocol over a pipe (`--remote-debugging-pipe`: JSON messages
ending in NUL on file descriptors 3 and 4), so it needs no package beyond the
standard library: it collects console messages, JavaScript exceptions and every
network request the page makes, and takes a full-page screenshot.

    python -m pipeline.report.browser screenshot PAGE.html OUT.png [--width 1100]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe"]


# Ceilings, not delays: every wait ends as soon as what it waits for happens, and a
# busy machine only makes them longer.
ANSWER_CEILING_SECONDS = 120.0  # one DevTools call (Chromium's start-up included)
PAGE_CEILING_SECONDS = 300.0  # a page becoming ready


class BrowserError(Exception):
    pass


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageVisit:
    """What the browser saw while the page loaded and drew its charts."""

    console: list[dict[str, Any]] = field(default_factory=list)  # {level, text}
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    state: dict[str, Any] = field(default_factory=dict)  # what `probe` returned at the end


class Browser:
    """One headless Chromium, one page, driven through the DevTools pipe."""

    def __init__(self, width: int = 1100, height: int = 900) -> None:
        executable = find_chromium()
        if not executable:
            raise BrowserError("No Chromium found (looked for " + ", ".join(CHROMIUM_NAMES) +
                               "). Install it: apt-get install -y chromium")
        self._profile = tempfile.mkdtemp(prefix="report-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb() -> None:  # in the child: the pipe ends on fds 3 and 4, as Chromium expects
            reader, writer = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(reader, 3)
            os.dup2(writer, 4)

        self._process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # Kept open through the exec: the close_fds pass runs after preexec_fn.
            preexec_fn=plumb, pass_fds=(3, 4, to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self._session: str | None = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True,
                                  session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def _read_message(self, deadline: float, method: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self._from_child], [], [], max(remaining, 0))
            if not readable:
                raise BrowserError(f"Chromium did not answer {method} within its ceiling "
                                   f"(exit {self._process.poll()}); is the machine overloaded?")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium closed the DevTools pipe (exit {self._process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def call(self, method: str, timeout: float = ANSWER_CEILING_SECONDS, session: bool = True,
             **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self._session:
            message["sessionId"] = self._session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return dict(reply.get("result", {}))
            if "method" in reply:
                self._events.append(reply)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating {expression[:60]!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def visit(self, page: Path, ready: str, probe: str, timeout: float = PAGE_CEILING_SECONDS) -> PageVisit:
        """Open `page`, wait until the JS expression `ready` is true, return what happened.

        Raises BrowserError, with what `probe` shows, if the page is not ready within
        `timeout` seconds: a page that never got there is an error, not a result.
        """
        self._events.clear()
        self.call("Page.navigate", url=page.resolve().as_uri())
        deadline = time.monotonic() + timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise BrowserError(f"{page} was not ready {timeout:.0f} s after it was opened "
                                   f"({ready}); it shows {self.evaluate(probe)}")
            time.sleep(0.2)
        # A round trip through the page (its next frame) and one through the browser:
        # the events each sent before answering are read by then.
        self.evaluate("new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)))")
        self.call("Browser.getVersion", session=False)
        visit = PageVisit(state=self.evaluate(probe) or {})
        for event in self._events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                visit.console.append({"level": params.get("type"), "text": text})
            elif method == "Log.entryAdded":
                entry = params["entry"]
                visit.console.append({"level": entry.get("level"), "text": entry.get("text", "")})
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                visit.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
        return visit

    def screenshot(self, out: Path) -> None:
        """The whole page, however long, as PNG."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5, session=False)
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# The report marks a drawn chart with data-rendered (or turns it into a note on failure).
CHARTS_SETTLED = ("Array.from(document.querySelectorAll('div.chart'))"
                  ".every(e => e.dataset.rendered === 'true' || e.classList.contains('missing'))")
CHARTS_PROBE = ("({charts: Array.from(document.querySelectorAll('div.chart')).map(e => ({id: e.id, "
                "rendered: e.dataset.rendered === 'true', svgs: e.querySelectorAll('svg').length, "
                "canvases: e.querySelectorAll('canvas').length}))})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.report.browser")
    commands = parser.add_subparsers(dest="command", required=True)
    shot = commands.add_parser("screenshot", help="a full-page PNG of the report")
    shot.add_argument("page", type=Path)
    shot.add_argument("out", type=Path)
    shot.add_argument("--width", type=int, default=1100)
    args = parser.parse_args(argv)
    if not args.page.is_file():
        print(f"screenshot: no report at {args.page}: make one first (make report).", file=sys.stderr)
        return 1
    try:
        with Browser(width=args.width) as browser:
            visit = browser.visit(args.page, CHARTS_SETTLED, CHARTS_PROBE)
            browser.screenshot(args.out)
    except BrowserError as error:
        print(f"screenshot: {error}", file=sys.stderr)
        return 1
    drawn = sum(1 for c in visit.state.get("charts", []) if c["rendered"])
    print(f"{args.out} written ({drawn} charts drawn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
