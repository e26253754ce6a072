"""A Merkle tree over the audit events, as Certificate Transparency builds one (RFC 9162, section 2.1).

Leaves are the events' chain hashes in sequence order: ``leaf = SHA-256(0x00 || event hash)``,
``node = SHA-256(0x01 || left || right)``. A signed checkpoint carries the root over the first
``count`` events; an **inclusion proof** (the audit path) then shows that one event, its hash
recomputed from its own content, is leaf ``seq - 1`` of that tree, without the other events.
An audit bundle of one programme carries such a proof for each of its events.

Pure functions, no Django: the bundle's standalone checker carries a copy of ``verify_inclusion``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(event_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Accumulator:
    """The root of the events added so far, at any moment, in memory that grows with log2 of their number."""

    def __init__(self):
        self._stack: list[tuple[int, bytes]] = []  # perfect subtrees (height, hash), heights decreasing
        self.size = 0

    @classmethod
    def resumed(cls, frontier: list, size: int) -> Accumulator:
        """Carry on from a ``frontier()`` saved after ``size`` events (at most log2(size) + 1 hashes)."""
        accumulator = cls()
        accumulator._stack = [(int(height), bytes.fromhex(value)) for height, value in frontier]
        accumulator.size = size
        if sum(1 << height for height, _value in accumulator._stack) != size:
            raise ValueError("the frontier does not describe a tree of this size")
        return accumulator

    def frontier(self) -> list[list]:
        """The perfect subtrees so far, [height, hex] from the largest: enough to add more events later."""
        return [[height, value.hex()] for height, value in self._stack]

    def add(self, event_hash: str) -> None:
        node, height = leaf_hash(event_hash), 0
        while self._stack and self._stack[-1][0] == height:
            node = node_hash(self._stack.pop()[1], node)
            height += 1
        self._stack.append((height, node))
        self.size += 1

    def root(self) -> str:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1][1]
        for _height, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root.hex()


def root_of(event_hashes: Iterable[str]) -> tuple[str, int]:
    """(root hex, number of leaves), streaming."""
    accumulator = Accumulator()
    for event_hash in event_hashes:
        accumulator.add(event_hash)
    return accumulator.root(), accumulator.size


class Tree:
    """Every level of the tree over ``event_hashes``, for inclusion proofs of many leaves."""

    def __init__(self, event_hashes: Iterable[str]):
        level = [leaf_hash(h) for h in event_hashes]
        self.levels = [level]
        while len(level) > 1:
            # An odd last node is carried up unchanged: the same tree as RFC 9162's largest-power-of-two split.
            level = [node_hash(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
            self.levels.append(level)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    @property
    def root(self) -> str:
        return self.levels[-1][0].hex() if self.size else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[str]:
        """The audit path of leaf ``index`` (0-based), bottom up, as hex."""
        if not 0 <= index < self.size:
            raise IndexError(index)
        path = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling].hex())
            index //= 2
        return path


def verify_inclusion(*, index: int, size: int, event_hash: str, proof: list[str], root: str) -> bool:
    """RFC 9162 section 2.1.3.2: is ``event_hash`` leaf ``index`` of the tree of ``size`` leaves with ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(event_hash)
    for hex_value in proof:
        p = bytes.fromhex(hex_value)
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r.hex() == root
