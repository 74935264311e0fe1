"""Line heights of many items, with prefix sums in O(log n): where item i starts, and
which item holds line y. A Fenwick tree over a compact ``array``, so a thread of
100,000 posts costs a few hundred kilobytes however tall its posts are.

Heights start as an estimate and are corrected one by one as items are measured.
"""

from array import array


class Heights:
    __slots__ = ("_heights", "_top", "_total", "_tree")

    def __init__(self, count: int = 0, estimate: int = 1) -> None:
        self.reset(count, estimate)

    def reset(self, count: int, estimate: int) -> None:
        """``count`` items, each ``estimate`` lines tall."""
        self._heights = array("l", [estimate]) * count
        # A Fenwick node i (1-based) covers the (i & -i) items ending at i.
        self._tree = array("l", [0]) + array(
            "l", ((i & -i) * estimate for i in range(1, count + 1))
        )
        self._top = 1 << max(0, count.bit_length() - 1) if count else 0
        self._total = count * estimate

    def __len__(self) -> int:
        return len(self._heights)

    @property
    def total(self) -> int:
        return self._total

    def height(self, index: int) -> int:
        return self._heights[index]

    def start(self, index: int) -> int:
        """The first line of item ``index`` (the sum of the heights before it)."""
        total, i, tree = 0, index, self._tree
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total

    def set(self, index: int, height: int) -> int:
        """Give item ``index`` its measured height; returns the change in lines."""
        delta = height - self._heights[index]
        if delta:
            self._heights[index] = height
            self._total += delta
            i, tree, size = index + 1, self._tree, len(self._heights)
            while i <= size:
                tree[i] += delta
                i += i & -i
        return delta

    def append(self, height: int) -> None:
        index = len(self._heights) + 1  # 1-based position of the new item
        # Node ``index`` covers items (index - lowbit, index]: the new one and the
        # lowbit - 1 before it, whose sum is a difference of two prefix sums.
        low = index & -index
        covered = self.start(index - 1) - self.start(index - low) if low > 1 else 0
        self._heights.append(height)
        self._tree.append(covered + height)
        self._total += height
        if index >= self._top * 2 or not self._top:
            self._top = 1 << (index.bit_length() - 1)

    def find(self, line: int) -> int:
        """The item that holds ``line`` (clamped to the last item); -1 when empty."""
        size = len(self._heights)
        if not size:
            return -1
        if line >= self._total:
            return size - 1
        position, remaining, step, tree = 0, max(0, line), self._top, self._tree
        while step:
            probe = position + step
            if probe <= size and tree[probe] <= remaining:
                position = probe
                remaining -= tree[probe]
            step >>= 1
        return position  # items before it sum to <= line, so it holds the line
