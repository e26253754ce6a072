"""What each generated case went through: the human steps of the three flows, in order, with their decisions.

A programme's plan is a list of cases (earlier stages completed, then the current one); a case's plan is a list
of rounds of human tasks, each task (step, decision or None while open). Pure Python, no Django models.
"""

import random
from dataclasses import dataclass, field

# The happy path of each flow's human steps; a tuple is the parallel review (both must decide).
PATHS = {
    "mou": ["draft", ("review_diskominfo", "review_legal"), "paraf_laip", "paraf_sekda", "sign_region",
            "sign_ministry"],
    "regulation": ["draft", ("review_mentor", "review_bappeda"), "harmonise", "record_letter", "paraf_kominfo",
                   "paraf_hukum", "paraf_sekda", "enact", "promulgate"],
    "masterplan": ["draft", ("review_mentor", "review_bappeda"), "council", "commitment", "accept"],
}
STAGES = ["mou", "regulation", "masterplan"]
# Where an open case waits: the stage, then the slot of its path. Most cases wait at the parallel review.
STAGE_WEIGHTS = [0.80, 0.15, 0.05]
SLOT_WEIGHTS = {"draft": 0.10, "review_both": 0.50, "review_one": 0.10}  # the rest share what is left
FULLY_DONE, MOU_REJECTED, RETURNED_ROUND = 0.01, 0.01, 0.10

APPROVE = {"draft": "submitted", "record_letter": "letter_in_line", "promulgate": "promulgated",
           "accept": "accepted"}


def approving(step: str) -> str:
    if step in APPROVE:
        return APPROVE[step]
    if step.startswith("paraf"):
        return "initialled"
    if step.startswith("sign") or step in ("enact", "commitment"):
        return "signed"
    return "approved"


def returning(step: str) -> str:
    return "letter_needs_changes" if step == "record_letter" else "returned"


@dataclass
class Task:
    step: str
    decision: str | None  # None: open
    parallel: int = 0  # 1 or 2 inside a review round
    round_no: int = 0  # which review round (a split task each)


@dataclass
class Case:
    stage: str
    outcome: str  # open, completed, rejected
    tasks: list[Task] = field(default_factory=list)

    @property
    def open_tasks(self) -> int:
        return sum(1 for t in self.tasks if t.decision is None)

    @property
    def last_decision(self) -> str:
        done = [t.decision for t in self.tasks if t.decision]
        return done[-1] if done else ""


def _walk(stage: str, upto: int, rng: random.Random, *, returned: bool) -> list[Task]:
    """The finished tasks of slots 0..upto-1, with a returned review round first if `returned`."""
    path = PATHS[stage]
    tasks: list[Task] = []
    rounds = 0
    if returned and upto >= 2:
        a, b = path[1]
        rounds += 1
        back = rng.randrange(2)
        tasks += [Task("draft", "submitted"),
                  Task(a, returning(a) if back == 0 else "approved", 1, rounds),
                  Task(b, returning(b) if back == 1 else "approved", 2, rounds)]
    for slot in path[:upto]:
        if isinstance(slot, tuple):
            rounds += 1
            tasks += [Task(slot[0], "approved", 1, rounds), Task(slot[1], "approved", 2, rounds)]
        else:
            tasks.append(Task(slot, approving(slot)))
    return tasks


def _open_case(stage: str, rng: random.Random) -> Case:
    path = PATHS[stage]
    rest = len(path) - 2
    slots = ["draft", "review_both", "review_one"] + [f"slot{i}" for i in range(2, len(path))]
    left = 1 - sum(SLOT_WEIGHTS.values())
    weights = [SLOT_WEIGHTS["draft"], SLOT_WEIGHTS["review_both"], SLOT_WEIGHTS["review_one"]] + [left / rest] * rest
    where = rng.choices(slots, weights)[0]
    returned = rng.random() < RETURNED_ROUND
    case = Case(stage, "open")
    if where == "draft":
        # After a returned round, the draft is back with its drafter.
        case.tasks = (_walk(stage, 2, rng, returned=True)[:3] if returned else []) + [Task("draft", None)]
        return case
    a, b = path[1]
    if where in ("review_both", "review_one"):
        case.tasks = _walk(stage, 1, rng, returned=False)
        if returned:
            case.tasks = _walk(stage, 2, rng, returned=True)[:3] + [Task("draft", "submitted")]
        rounds = 2 if returned else 1
        if where == "review_both":
            case.tasks += [Task(a, None, 1, rounds), Task(b, None, 2, rounds)]
        else:
            first = rng.randrange(2)
            case.tasks += [Task(a, "approved" if first == 0 else None, 1, rounds),
                           Task(b, "approved" if first == 1 else None, 2, rounds)]
        return case
    slot = int(where[4:])
    case.tasks = _walk(stage, slot, rng, returned=returned) + [Task(path[slot], None)]
    return case


def _completed(stage: str, rng: random.Random) -> Case:
    return Case(stage, "completed", _walk(stage, len(PATHS[stage]), rng, returned=rng.random() < RETURNED_ROUND))


def programme_plan(rng: random.Random) -> list[Case]:
    """The cases of one programme, oldest first."""
    draw = rng.random()
    if draw < FULLY_DONE:
        return [_completed(stage, rng) for stage in STAGES]
    if draw < FULLY_DONE + MOU_REJECTED:
        tasks = _walk("mou", 4, rng, returned=False) + [Task("sign_region", "rejected")]
        return [Case("mou", "rejected", tasks)]
    stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
    before = STAGES[:STAGES.index(stage)]
    return [_completed(s, rng) for s in before] + [_open_case(stage, rng)]
