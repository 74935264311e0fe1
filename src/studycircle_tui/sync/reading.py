"""Reading post texts and searching them, off the app's loop, and keeping the index current.

Post texts live in the local store (``store/texts.py``), not in the circle's state. What a
screen draws it asks of ``PostTexts``: ``get`` answers from an LRU of the recent ones at
once, or says it is not there yet; ``want`` fetches missing ones on the reader's thread
and calls back on the app's loop when they are in, so a thread is never drawn waiting on
the disk. ``search`` runs the store's index and ``core.search``'s rules on that thread too.

The reader has a connection of its own: the store's writes (an op, a draft) happen on
another one, and in WAL mode a reader never waits for a writer. The index is written by
``TextIndexer`` on a third, in small transactions, as ops are stored.
"""

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ..core import search as rules
from ..core.ops import Op
from ..core.state import CircleState
from ..store import texts
from ..store.db import Store

T = TypeVar("T")

CACHED_TEXTS = 512  # a few screens of posts either way, and the search results on show


class StoreReader:
    """One thread with its own read connection to the store."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._store: Store | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="store-reader")

    def _connection(self) -> Store:
        if self._store is None:  # opened on the reader's thread, used only there
            self._store = Store(self._path)
        return self._store

    def open(self) -> None:
        """Open the connection now (in the background): the first read would wait for it,
        some 10 ms, more on a busy machine."""
        self._thread.submit(self._connection)

    def run(self, work: Callable[[Store], T]) -> Future[T]:
        return self._thread.submit(lambda: work(self._connection()))

    def close(self) -> None:
        def close() -> None:
            if self._store is not None:
                self._store.close()

        self._thread.submit(close)
        self._thread.shutdown(wait=True)


class PostTexts:
    """Post texts by the id of the op that carried them, from an LRU or the store."""

    def __init__(self, reader: StoreReader, circle_id: str) -> None:
        self._reader = reader
        self._circle = circle_id
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._asked: set[str] = set()  # being fetched

    def get(self, op_id: str) -> str | None:
        text = self._cache.get(op_id)
        if text is not None:
            self._cache.move_to_end(op_id)
        return text

    def keep(self, found: dict[str, str]) -> None:
        """Texts had another way (an op just made or arrived): no need to read them."""
        for op_id, text in found.items():
            self._cache[op_id] = text
            self._cache.move_to_end(op_id)
        while len(self._cache) > CACHED_TEXTS:
            self._cache.popitem(last=False)

    def load(self, op_ids: Iterable[str]) -> dict[str, str]:
        """The texts, read now if need be (waits on the disk: not for the app's loop)."""
        wanted = list(op_ids)
        missing = [op_id for op_id in wanted if op_id not in self._cache]
        if missing:
            circle = self._circle
            self.keep(self._reader.run(lambda s: texts.texts_of(s.db, circle, missing)).result())
        return {op_id: text for op_id in wanted if (text := self.get(op_id)) is not None}

    def want(self, op_ids: Iterable[str], then: Callable[[], None]) -> bool:
        """Fetch the texts not at hand, then call ``then`` on the running loop; False when
        all are at hand (nothing to wait for)."""
        missing = [
            op_id
            for op_id in dict.fromkeys(op_ids)
            if op_id not in self._cache and op_id not in self._asked
        ]
        if not missing:
            return False
        self._asked.update(missing)
        loop = asyncio.get_running_loop()
        circle = self._circle
        future = self._reader.run(lambda s: texts.texts_of(s.db, circle, missing))

        def arrived(done: Future[dict[str, str]]) -> None:
            found = {} if done.exception() else done.result()
            loop.call_soon_threadsafe(self._arrived, missing, found, then)

        future.add_done_callback(arrived)
        return True

    async def fetch(self, op_ids: Iterable[str]) -> dict[str, str]:
        """The texts, read on the reader's thread when not at hand."""
        wanted = list(op_ids)
        missing = [op_id for op_id in wanted if op_id not in self._cache]
        if missing:
            circle = self._circle
            future = self._reader.run(lambda s: texts.texts_of(s.db, circle, missing))
            self.keep(await asyncio.wrap_future(future))
        return {op_id: text for op_id in wanted if (text := self.get(op_id)) is not None}

    def _arrived(self, asked: list[str], found: dict[str, str], then: Callable[[], None]) -> None:
        self._asked.difference_update(asked)
        self.keep(found)
        then()


class Searcher:
    """Search on the reader's thread: the index finds the texts, core's rules the posts.

    As you type, each search replaces the one before: a search not started yet when a
    newer one is asked for does not run, and one running stops at its next look (it
    answers None)."""

    SHOWN_FIRST = 60  # results whose texts are read with them: drawn in the same frame

    def __init__(self, reader: StoreReader, cache: PostTexts, circle_id: str) -> None:
        self._reader = reader
        self._texts = cache
        self._circle = circle_id
        self._latest = 0

    async def search(
        self, state: CircleState, query: str, viewer: str
    ) -> rules.SearchResult | None:
        """The query's results (None when a newer search replaced it); the state is read,
        never changed, on the reader's thread."""
        parsed = rules.parse_query(query)
        if parsed.empty:
            return rules.SearchResult([], parsed)
        self._latest += 1
        mine, circle = self._latest, self._circle

        def stale() -> bool:
            return self._latest != mine

        def work(store: Store) -> tuple[rules.SearchResult, dict[str, str]] | None:
            if stale():
                return None
            found = None
            if parsed.terms:
                found = texts.matching(store.db, circle, parsed.terms, stop=stale)
                if found is None:
                    return None
            result = rules.search(state, parsed, viewer, found, stale=stale)
            if result is None:
                return None
            shown = [state.posts.peek(hit.post_id) for hit in result.hits[: self.SHOWN_FIRST]]
            ops = [post.text_op for post in shown if post is not None]
            return result, texts.texts_of(store.db, circle, ops)

        done = await asyncio.wrap_future(self._reader.run(work))
        if done is None or stale():
            return None
        result, read = done
        self._texts.keep(read)
        return result


class TextIndexer:
    """Indexes stored ops' texts on a thread of its own, woken after each store write."""

    def __init__(self, path: Path, circle_id: str) -> None:
        self._path, self._circle = path, circle_id
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._asked = 0  # wake-ups so far
        self._answered = 0  # wake-ups whose writes are all indexed
        self._stop = False
        self.behind = 0  # ops stored and not yet indexed, as last counted
        self.failures: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="text-index", daemon=True)
        self._thread.start()

    def wake(self, stored: Iterable[Op] | None = None) -> None:
        """Ops were stored (``stored``, or unsaid): index them. Stored ops that carry no
        text (a live quiz's answers and joins) are left for the next wake-up that brings
        a text to index past them: each wake-up is a write and a disk flush, thirty
        answers a question in an ssh-serve worker, each contending with the answers'
        own writes for the file."""
        if stored is not None and not any(op.type in texts.TEXT_OPS for op in stored):
            return
        with self._done:
            self._asked += 1
        self._wake.set()

    def idle(self, timeout: float = 60.0) -> bool:
        """Wait until everything stored so far is indexed (tests, benchmarks)."""
        self.wake()
        with self._done:
            wanted = self._asked
            return self._done.wait_for(lambda: self._answered >= wanted or self._stop, timeout)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(10)

    def _run(self) -> None:
        try:
            store = Store(self._path)
        except Exception as error:  # the disk: search finds nothing new meanwhile
            self.failures.append(error)
            return
        try:
            while not self._stop:
                self._wake.wait()
                self._wake.clear()
                with self._done:
                    asked = self._asked
                self.behind = texts.unindexed(store.db, self._circle)
                while not self._stop and texts.index_since(store.db, self._circle):
                    self.behind = texts.unindexed(store.db, self._circle)
                self.behind = 0
                with self._done:
                    self._answered = asked
                    self._done.notify_all()
        except Exception as error:  # the disk: search goes on with what is indexed
            self.failures.append(error)
        finally:
            store.close()
            with self._done:
                self._stop = True
                self._done.notify_all()
