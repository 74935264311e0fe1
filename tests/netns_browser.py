"""A headless Chromium on another (virtual) machine, for tests of what a browser sees.

``other_machine()`` makes a network namespace joined to this one by a veth pair: inside
it, this machine is ``HOST`` and nothing listens on its loopback, as for a laptop on the
same LAN. ``Chromium`` runs there and is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: a pipe crosses namespaces, a debugging port would not),
recording every request, response and websocket frame of the page it loads.

Needs root (``ip netns``) and Debian's ``chromium``; ``unavailable()`` says what is
missing, for a skip with a reason (``.ci/run`` installs chromium; CI runs as root).
"""

import base64
import contextlib
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def unavailable() -> str | None:
    """Why a browser on another machine cannot be had here, or None."""
    if shutil.which("chromium") is None:
        return "needs Debian's chromium (.ci/run installs it)"
    if shutil.which("ip") is None:
        return "needs ip (iproute2) to make a network namespace"
    if os.geteuid() != 0:
        return "needs root to make a network namespace (CI runs as root)"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class OtherMachine:
    namespace: str
    host: str  # this machine's address, as the other machine reaches it
    address: str  # the other machine's own


@contextlib.contextmanager
def other_machine() -> Iterator[OtherMachine]:
    """A network namespace on a /30 with this machine; removed afterwards. Raises
    PermissionError, with the reason, where the kernel will not make one."""
    tag = f"{os.getpid() % 100_000}{random.randrange(100)}"
    namespace, here, there = f"scweb{tag}", f"scwh{tag}", f"scwn{tag}"
    subnet = f"10.{random.randrange(100, 250)}.{random.randrange(256)}"
    machine = OtherMachine(namespace, f"{subnet}.1", f"{subnet}.2")
    try:
        _ip("netns", "add", namespace)
    except subprocess.CalledProcessError as error:
        raise PermissionError(f"ip netns add: {error.stderr.strip()}") from None
    try:
        _ip("link", "add", here, "type", "veth", "peer", "name", there)
        _ip("link", "set", there, "netns", namespace)
        _ip("addr", "add", f"{machine.host}/30", "dev", here)
        _ip("link", "set", here, "up")
        inside = ("netns", "exec", namespace, "ip")
        _ip(*inside, "addr", "add", f"{machine.address}/30", "dev", there)
        _ip(*inside, "link", "set", there, "up")
        _ip(*inside, "link", "set", "lo", "up")
        yield machine
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", here)  # takes its peer with it
        _ip("netns", "del", namespace)


@dataclass
class PageLog:
    """What a page did, as the DevTools protocol reported it."""

    requests: dict[str, str] = field(default_factory=dict)  # request id -> url
    responses: dict[str, int] = field(default_factory=dict)  # url -> status
    failed: dict[str, str] = field(default_factory=dict)  # url -> why
    websockets: list[str] = field(default_factory=list)
    received: bytearray = field(default_factory=bytearray)  # every websocket frame's bytes


class Chromium:
    """Headless Chromium in ``machine``'s namespace, driven over a DevTools pipe."""

    def __init__(self, machine: OtherMachine) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = " ".join(CHROMIUM_FLAGS)
        # The DevTools pipe is fds 3 (commands in) and 4 (answers out) of the browser
        # (reopened through /dev/fd: sh takes only one-digit descriptors after <&).
        script = (
            f"exec chromium {flags} --user-data-dir={self._profile.name} --remote-debugging-pipe"
            f" about:blank 3</dev/fd/{to_browser_r} 4>/dev/fd/{from_browser_w}"
        )
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", machine.namespace, "sh", "-c", script],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.log = PageLog()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._call("Browser.close", timeout=5)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(10)
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    # --- the protocol -----------------------------------------------------------------

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, timeout: float) -> dict | None:
        """The next message, or None when none came in ``timeout`` seconds."""
        import select

        end = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise OSError("chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        self._record(message)
        return message

    def _call(self, method: str, params: dict | None = None, session=None, timeout=30) -> dict:
        wanted = self._send(method, params, session)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            message = self._receive(end - time.monotonic())
            if message is not None and message.get("id") == wanted:
                if "error" in message:
                    raise OSError(f"{method}: {message['error']}")
                return message.get("result", {})
        raise TimeoutError(f"chromium did not answer {method}")

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.log.requests[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived":
            self.log.responses[params["response"]["url"]] = params["response"]["status"]
        elif method == "Network.loadingFailed":
            url = self.log.requests.get(params["requestId"], params["requestId"])
            self.log.failed[url] = params.get("errorText", "")
        elif method == "Network.webSocketCreated":
            self.log.websockets.append(params["url"])
        elif method == "Network.webSocketFrameReceived":
            frame = params["response"]
            data = frame["payloadData"]
            self.log.received += base64.b64decode(data) if frame["opcode"] == 2 else data.encode()

    # --- what a test asks ---------------------------------------------------------------

    def open(self, url: str, until: bytes, timeout: float = 60) -> PageLog:
        """Load ``url`` in a new tab and wait until its websockets brought ``until``
        (or ``timeout`` passed); what the page did is in the log either way."""
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})
        session = attached["sessionId"]
        self._call("Network.enable", session=session)
        self._call("Page.navigate", {"url": url}, session=session)
        end = time.monotonic() + timeout
        while until not in self.log.received and time.monotonic() < end:
            self._receive(min(1.0, max(end - time.monotonic(), 0.01)))
        return self.log
