# The front door of the kit. Every target sets up .venv/ with the pinned dependencies on first use.
# `make help` lists the targets; README.md explains them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

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
.PHONY: help venv test lint docs check grade report similarity starter data reference notebooks handout examples dist \
        gradescope prairielearn all regenerate bench lock clean

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
	@echo "  make docs                   the tables docs/ takes from the code (security guarantees, limits)"
	@echo "  make all                    every generated artifact above, in order (alias: make regenerate)"
	@echo "Developers"
	@echo "  make test                   the project's own tests (after make lint)"
	@echo "  make lint                   ruff and mypy, as pyproject.toml sets them"
	@echo "  make bench                  the benchmarks (prints measured figures)"
	@echo "  make bench-fairness         grade the fairness catalogue: agreement with its fair points"
	@echo "  make lock                   re-pin requirements.txt from requirements.in"
	@echo "  make venv                   only set up .venv/ (every target does it when needed)"
	@echo "  make clean                  remove .venv, grades, dist, handout.html and caches"

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

test: lint
	$(PY) -m pytest tests

# ruff and mypy (pinned in requirements.txt; settings in pyproject.toml): seconds, so make test runs them first
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

check: $(STAMP)
	$(PY) -m autograder check --impl $(IMPL) $(if $(ONLY),--only "$(ONLY)")

grade: $(STAMP)
ifneq ($(SUBMISSION),)
	$(PY) -m autograder grade "$(SUBMISSION)" --out $(OUT) --jobs $(JOBS) --timeout $(TIMEOUT) --isolation $(ISOLATION)
else ifneq ($(SUBMISSIONS),)
	$(PY) -m autograder grade --batch "$(SUBMISSIONS)" --out $(OUT) --jobs $(JOBS) --timeout $(TIMEOUT) --isolation $(ISOLATION)
else
	$(PY) -m autograder grade --batch examples/submissions --out $(OUT) --jobs $(JOBS) --timeout $(TIMEOUT) --isolation $(ISOLATION)
endif

report: $(STAMP)
	$(PY) -m autograder report $(OUT)

similarity: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make similarity SUBMISSIONS=folder-of-submissions [THRESHOLD=$(THRESHOLD)]"; exit 2; }
	$(PY) -m autograder similarity "$(SUBMISSIONS)" --out similarity --threshold $(THRESHOLD)

starter: $(STAMP)
	$(PY) -m scripts.make_starter

data: $(STAMP)
	$(PY) -m scripts.make_data

reference: $(STAMP)
	$(PY) -m scripts.make_reference

notebooks: $(STAMP)
	$(PY) -m scripts.make_notebooks

handout: $(STAMP)
	$(PY) -m scripts.make_handout

examples: $(STAMP)
	$(PY) -m scripts.make_examples

dist: $(STAMP)
	$(PY) -m scripts.make_dist student

gradescope: $(STAMP)
	$(PY) -m scripts.make_dist gradescope

prairielearn: $(STAMP)
	$(PY) -m scripts.make_dist prairielearn

docs: $(STAMP)
	$(PY) -m scripts.make_docs

# Order matters: the starter and the reference outputs come from solution/, the notebooks' figures
# feed the handout, the samples come from solution/ and starter/, and the bundles pack the rest.
all regenerate: $(STAMP)
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

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

.PHONY: bench-fairness
bench-fairness: $(STAMP)
	$(PY) -m benchmarks.bench_fairness

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -r requirements.in
	{ echo "# Every package the project installs, pinned. Generated from requirements.in by \`make lock\`."; \
	  .lock-venv/bin/pip freeze; } > requirements.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(OUT) dist similarity .pytest_cache .mypy_cache .ruff_cache handout.html
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
