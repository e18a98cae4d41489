"""course.toml: the settings course staff fill in once (logistics, and whether the starter gives
the backward formulas). make_starter.py, make_handout.py and make_dist.py read them from here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_FILE = ROOT / "course.toml"

# The logistics students are told about, in the order the handout lists them, with their labels.
LOGISTICS = {
    "time_estimate": "Expected time",
    "release": "Released",
    "deadline": "Deadline",
    "late_policy": "Late work",
    "collaboration_policy": "Collaboration",
    "ai_policy": "AI assistants",
    "help": "Getting help",
    "code_assignment": "Hand in the code to",
    "report_assignment": "Hand in the report to",
}


@dataclass(frozen=True)
class CourseSettings:
    logistics: dict[str, str]  # key of LOGISTICS -> text shown to students
    backward_formula_hints: bool


def load_course_settings(path: Path = COURSE_FILE) -> CourseSettings:
    """Read course.toml, refusing unknown or missing keys (a typo must not pass silently)."""
    data = tomllib.loads(path.read_text())
    unknown_tables = set(data) - {"logistics", "starter"}
    if unknown_tables:
        raise SystemExit(f"{path.name}: unknown table(s) {sorted(unknown_tables)}; expected [logistics] and [starter]")
    logistics = data.get("logistics", {})
    missing, unknown = set(LOGISTICS) - set(logistics), set(logistics) - set(LOGISTICS)
    if missing or unknown:
        raise SystemExit(f"{path.name}: [logistics] lacks {sorted(missing)} / has unknown {sorted(unknown)}")
    if not all(isinstance(value, str) and value.strip() for value in logistics.values()):
        raise SystemExit(f"{path.name}: every [logistics] value must be a non-empty string")
    starter = data.get("starter", {})
    if set(starter) != {"backward_formula_hints"} or not isinstance(starter["backward_formula_hints"], bool):
        raise SystemExit(f"{path.name}: [starter] must hold exactly backward_formula_hints = true or false")
    return CourseSettings({key: logistics[key].strip() for key in LOGISTICS}, starter["backward_formula_hints"])
