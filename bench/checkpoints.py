"""What a signed audit checkpoint costs as the log grows, and a bundle's inclusion proofs.

Usage: .venv/bin/python bench/checkpoints.py [events]   (default 200000)
Pure Python over synthetic event hashes (no database): the streaming Merkle root the first
checkpoint computes over every event (audit.merkle.root_of), the next one carrying on from its
frontier, the full tree an audit bundle builds for its proofs (audit.merkle.Tree), 1,000
inclusion proofs and their verification, with wall time and peak memory (tracemalloc).
Not a test: it prints figures, never fails on time.
"""

import hashlib
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.merkle import Accumulator, Tree, root_of, verify_inclusion  # noqa: E402


def measured(label, action):
    tracemalloc.start()
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<48} {elapsed:7.2f} s  peak {peak / 2**20:7.1f} MiB")
    return result


def main(events: int) -> None:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(events)]
    print(f"{events} events")
    root, _size = measured("streaming root over every event (first checkpoint)", lambda: root_of(iter(hashes)))

    def resumed():
        before = Accumulator()
        for h in hashes[:-1000]:
            before.add(h)
        frontier = before.frontier()
        started = time.perf_counter()
        tree = Accumulator.resumed(frontier, events - 1000)
        for h in hashes[-1000:]:
            tree.add(h)
        assert tree.root() == root
        return time.perf_counter() - started, len(frontier)

    seconds, kept = resumed()
    print(f"{'next checkpoint: frontier + 1,000 new events':<48} {seconds:7.4f} s  ({kept} hashes kept)")
    tree = measured("full tree (an audit bundle)", lambda: Tree(hashes))
    assert tree.root == root
    step = max(1, events // 1000)
    indices = list(range(0, events, step))[:1000]
    proofs = measured(f"{len(indices)} inclusion proofs", lambda: [tree.inclusion_proof(i) for i in indices])
    ok = measured(f"{len(indices)} verifications", lambda: all(
        verify_inclusion(index=i, size=events, event_hash=hashes[i], proof=p, root=root)
        for i, p in zip(indices, proofs, strict=True)))
    assert ok
    print(f"proof length: {len(proofs[0])} hashes ({len(proofs[0]) * 64} hex characters)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
