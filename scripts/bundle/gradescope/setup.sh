#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu base image).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# bubblewrap gives the strongest sandbox; where the container cannot use it, the grader uses
# Landlock (Linux 6.7+), else plain processes under another user, and says so in every result.
apt-get install -y -qq bubblewrap >/dev/null || echo "setup.sh: bubblewrap unavailable; the grader will use Landlock, or say why not"

# Python 3.11 or newer, in a virtualenv outside /autograder/source (which run_autograder makes
# unreadable to the sandbox user). A candidate counts only if it runs and can make a virtualenv.
works() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
PYTHON=""
for candidate in python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && works "$candidate"; then PYTHON="$candidate"; break; fi
done
if [ -z "$PYTHON" ]; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
  PYTHON=python3.11
fi
apt-get install -y -qq "$($PYTHON -c 'import sys; print(f"python3.{sys.version_info.minor}-venv")')" >/dev/null 2>&1 || true
"$PYTHON" -m venv /opt/nn-grader/venv
/opt/nn-grader/venv/bin/pip install --quiet --disable-pip-version-check -r /autograder/source/requirements-grader.txt
chmod -R a+rX /opt/nn-grader
