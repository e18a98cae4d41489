# The front door of the kit. Every target sets up .venv/ with the pinned packages it needs on first
# use: grading only what grading imports (requirements/grade.txt), the teaching material and the
# tests the rest. `make help` lists the targets; README.md explains them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One stamp per requirement set: a target depends on the sets it needs.
GRADE_SET := $(VENV)/.installed-grade
TEACHING_SET := $(VENV)/.installed-teaching
TEST_SET := $(VENV)/.installed-test
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

# grading
OUT ?= grades
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TIMEOUT ?= 600
# the sandbox: auto (bubblewrap, else Landlock), or bubblewrap, landlock, process (NOT safe: trusted code only)
ISOLATION ?= auto
SUBMISSIONS ?=
SUBMISSION ?=
# checking: the tree `make check` runs the public tests on, and ONLY=pattern to run some of them
IMPL ?= starter
ONLY ?=
# similarity: flag pairs of submissions at or above this share of shared code
THRESHOLD ?= 0.5

.DEFAULT_GOAL := help
.PHONY: help venv test test-fast lint docs check grade report similarity starter data reference notebooks handout examples dist \
        gradescope prairielearn all regenerate check-rubric bench lock clean

help:
	@echo "Students"
	@echo "  make check                  public tests on starter/ (IMPL=dir for another tree, ONLY=activations"
	@echo "                              or part of a test's name to run some of them)"
	@echo "Instructors"
	@echo "  make grade                  grade the sample submissions in examples/submissions/"
	@echo "  make grade SUBMISSION=p     grade one submission (a .zip or a folder)"
	@echo "  make grade SUBMISSIONS=d    grade every .zip / folder inside d"
	@echo "                              (OUT=$(OUT) JOBS=$(JOBS) TIMEOUT=$(TIMEOUT) seconds per submission at most;"
	@echo "                              ISOLATION=$(ISOLATION): auto, bubblewrap, landlock, or process for trusted code)"
	@echo "                              after a batch, OUT/report.html is the class report"
	@echo "  make report                 rebuild OUT/report.html from the results in OUT"
	@echo "  make similarity SUBMISSIONS=d  pairs of submissions sharing unusually much code (similarity/)"
	@echo "TAs: regenerate what is derived from solution/, the rubric and the text"
	@echo "  make starter                starter/ from solution/"
	@echo "  make data                   data/*.csv"
	@echo "  make reference              the grader's reference outputs and their manifest"
	@echo "  make notebooks              student notebooks from the solution notebooks"
	@echo "  make handout                handout.md's mark tables and figures, and handout.html"
	@echo "  make examples               the sample submissions in examples/submissions/"
	@echo "  make dist                   dist/student.zip, the student bundle"
	@echo "  make gradescope             dist/gradescope.zip, the Gradescope autograder"
	@echo "  make prairielearn           dist/prairielearn/, a PrairieLearn question and its grader"
	@echo "  make docs                   the tables docs/security.md takes from the code (guarantees, limits)"
	@echo "  make all                    every generated artifact above, in order (alias: make regenerate)"
	@echo "Developers"
	@echo "  make test                   the project's own tests, all of them (what CI runs), after make lint"
	@echo "  make lint                   ruff and mypy, as pyproject.toml sets them (seconds)"
	@echo "  make test-fast              the unit and fairness-critical tests only (about 2 minutes)"
	@echo "  make bench                  the benchmarks (prints measured figures)"
	@echo "  make bench-fairness         grade the fairness catalogue: agreement with its fair points"
	@echo "  make lock                   re-pin requirements/*.txt from requirements/*.in, in one resolution"
	@echo "  make venv                   only set up .venv/ with every set (each target installs what it needs)"
	@echo "  make clean                  remove .venv, grades, dist, handout.html and caches"

venv: $(TEST_SET)

$(VENV)/.created:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@touch $@

$(GRADE_SET): requirements/grade.txt $(VENV)/.created
	$(PIP_INSTALL) -r requirements/grade.txt
	@touch $@

$(TEACHING_SET): requirements/teaching.txt $(GRADE_SET)
	$(PIP_INSTALL) -r requirements/teaching.txt
	@touch $@

$(TEST_SET): requirements/test.txt $(TEACHING_SET)
	$(PIP_INSTALL) -r requirements/test.txt
	@touch $@

test: lint
	$(PY) -m pytest tests

# ruff and mypy (pinned in requirements/test.txt; settings in pyproject.toml): seconds, so make test runs them first
lint: $(TEST_SET)
	$(PY) -m ruff check .
	$(PY) -m mypy

# The unit tests and the fast fairness-critical ones (points per test for a crash, a hang's
# wording, the references on another CPU): everything not marked slow.
test-fast: $(TEST_SET)
	$(PY) -m pytest tests -m "not slow"

check: $(GRADE_SET)
	$(PY) -m autograder check --impl $(IMPL) $(if $(ONLY),--only "$(ONLY)")

grade: $(GRADE_SET)
ifneq ($(SUBMISSION),)
	$(PY) -m autograder grade "$(SUBMISSION)" --out $(OUT) --jobs $(JOBS) --timeout $(TIMEOUT) --isolation $(ISOLATION)
else ifneq ($(SUBMISSIONS),)
	$(PY) -m autograder grade --batch "$(SUBMISSIONS)" --out $(OUT) --jobs $(JOBS) --timeout $(TIMEOUT) --isolation $(ISOLATION)
else
	$(PY) -m autograder grade --batch examples/submissions --out $(OUT) --jobs $(JOBS) --timeout $(TIMEOUT) --isolation $(ISOLATION)
endif

report: $(GRADE_SET)
	$(PY) -m autograder report $(OUT)

similarity: $(GRADE_SET)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make similarity SUBMISSIONS=folder-of-submissions [THRESHOLD=$(THRESHOLD)]"; exit 2; }
	$(PY) -m autograder similarity "$(SUBMISSIONS)" --out similarity --threshold $(THRESHOLD)

starter: $(GRADE_SET)
	$(PY) -m scripts.make_starter

data: $(TEACHING_SET)
	$(PY) -m scripts.make_data

reference: $(GRADE_SET)
	$(PY) -m scripts.make_reference

notebooks: $(TEACHING_SET)
	$(PY) -m scripts.make_notebooks

handout: $(TEACHING_SET)
	$(PY) -m scripts.check_rubric
	$(PY) -m scripts.make_handout

examples: $(GRADE_SET)
	$(PY) -m scripts.make_examples

dist: $(TEACHING_SET)
	$(PY) -m scripts.make_dist student

gradescope: $(TEACHING_SET)
	$(PY) -m scripts.make_dist gradescope

prairielearn: $(TEACHING_SET)
	$(PY) -m scripts.make_dist prairielearn

docs: $(GRADE_SET)
	$(PY) -m scripts.make_docs

check-rubric: $(GRADE_SET)
	$(PY) -m scripts.check_rubric

# Order matters: the starter and the reference outputs come from solution/, the notebooks' figures
# feed the handout, the samples come from solution/ and starter/, and the bundles pack the rest.
all regenerate: $(TEACHING_SET)
	$(PY) -m scripts.check_rubric
	$(PY) -m scripts.make_data
	$(PY) -m scripts.make_starter
	$(PY) -m scripts.make_reference
	$(PY) -m scripts.make_notebooks
	$(PY) -m scripts.make_handout
	$(PY) -m scripts.make_examples
	$(PY) -m scripts.make_docs
	$(PY) -m scripts.make_dist student
	$(PY) -m scripts.make_dist gradescope
	$(PY) -m scripts.make_dist prairielearn

bench: $(TEST_SET)
	$(PY) -m benchmarks.run_all

.PHONY: bench-fairness
bench-fairness: $(TEST_SET)
	$(PY) -m benchmarks.bench_fairness

# One resolution for every set: install test.in (which includes the others) in a scratch venv, then
# pin each set from what got installed there.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -r requirements/test.in
	.lock-venv/bin/python scripts/lock_requirements.py
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(OUT) dist similarity .pytest_cache .mypy_cache .ruff_cache handout.html
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
