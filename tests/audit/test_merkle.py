"""The Merkle tree is RFC 9162's: checked against the specification's recursive definitions."""

import hashlib

import pytest

from audit.merkle import EMPTY_ROOT, Tree, leaf_hash, node_hash, root_of, verify_inclusion


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1, literally."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def hashes(n: int) -> list[str]:
    return [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]


@pytest.mark.parametrize("size", [*range(1, 18), 31, 32, 33, 100, 257])
def test_root_and_every_proof_match_the_rfc_and_verify(size):
    events = hashes(size)
    leaves = [leaf_hash(h) for h in events]
    tree = Tree(events)
    assert tree.root == mth(leaves).hex() == root_of(events)[0]
    assert root_of(events)[1] == size
    for index in range(size):
        proof = tree.inclusion_proof(index)
        assert proof == [p.hex() for p in path(index, leaves)]
        assert verify_inclusion(index=index, size=size, event_hash=events[index], proof=proof, root=tree.root)


def test_a_wrong_event_index_size_or_path_does_not_verify():
    events = hashes(13)
    tree = Tree(events)
    proof = tree.inclusion_proof(6)
    good = {"index": 6, "size": 13, "event_hash": events[6], "proof": proof, "root": tree.root}
    assert verify_inclusion(**good)
    # (The size is bound by the signed checkpoint with the root, not by the path: sizes 9 to 16 share this one.)
    for change in ({"event_hash": events[7]}, {"index": 7}, {"size": 7}, {"proof": proof[:-1]},
                   {"proof": [*proof[:-1], "00" * 32]}, {"root": "11" * 32}, {"index": 13}):
        assert not verify_inclusion(**{**good, **change})


def test_an_empty_log_has_the_empty_root():
    assert root_of([]) == (EMPTY_ROOT, 0) and Tree([]).root == EMPTY_ROOT


def test_a_tree_resumed_from_its_frontier_gives_the_same_roots_as_one_built_from_the_start():
    from audit.merkle import Accumulator

    events = hashes(300)
    whole = Accumulator()
    for cut in (1, 2, 7, 64, 65, 100, 299):
        first = Accumulator()
        for h in events[:cut]:
            first.add(h)
        resumed = Accumulator.resumed(first.frontier(), cut)
        for h in events[cut:]:
            resumed.add(h)
        assert resumed.root() == root_of(events)[0] and resumed.size == 300
    for h in events:
        whole.add(h)
    assert whole.root() == root_of(events)[0]
    with pytest.raises(ValueError):
        Accumulator.resumed(whole.frontier(), 299)  # a frontier describes one size only
