# The course's commands. From a fresh clone, with Python >= 3.10 (and npm, if you have it):
#
#   make book   set up .venv, build the executed book into _build/html
#   make test   set up .venv, run every test: pytest over tests/ and nbval over notebooks/
#
# Both create .venv and install the project with `pip install -e ".[dev]"` the first time, and again only
# when pyproject.toml changes (the stamp file .venv/.installed records the install).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# -W: a warning (a failing cell, stderr in an output, a broken reference) fails the build; -n: nitpicky.
JB_FLAGS ?= -W -n --keep-going
# pytest-xdist workers; loadscope keeps the cells of one notebook on one worker, in order.
WORKERS ?= auto
HTTP_PORT ?= 8000
# `make student` writes the coursework here: notebooks/ (student versions), nbgrader/ (nbgrader's course
# folder: source/ and nbgrader_config.py), site/ (the book's sources without solutions) and html/ (that site).
STUDENT ?= _build/student
# JupyterLab refuses to run as root unless told (containers often run as root).
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help install book test lab sync vendor serve clean distclean student

help:
	@echo "make book       build the executed book into _build/html (sets up .venv first)"
	@echo "make test       run every test: pytest over tests/ and nbval over notebooks/"
	@echo "make lab        JupyterLab with Jupytext, to work on the chapters"
	@echo "make sync       write notebooks/ (and README links) from book/ and _config.yml, for authors"
	@echo "make student    coursework in $(STUDENT): student notebooks, nbgrader assignments, a site without solutions"
	@echo "make serve      serve _build/html on http://localhost:$(HTTP_PORT)"
	@echo "make clean      remove _build and the vendored JavaScript (keeps .venv); distclean removes .venv too"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Python >= 3.10 is needed; run e.g. make PYTHON=python3.11 $(MAKECMDGOALS)"; exit 1; }
	@if [ ! -x $(BIN)/python ]; then echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); fi
	@echo "installing the course and its tools into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# Matplotlib builds its font cache on first import and says so on stderr: do it here, not in a chapter.
	$(BIN)/python -c "import matplotlib.pyplot"
	@touch $@

install: $(STAMP)

vendor: $(STAMP)
	$(BIN)/python book/_ext/booktools.py vendor

book: $(STAMP) vendor
	$(BIN)/python book/_ext/booktools.py prepare-cache
	@# A failed build leaves Sphinx's environment behind, and the next build would not re-read (nor warn
	@# about) the pages it thinks are done: remove it so the next `make book` looks at everything again.
	$(BIN)/jupyter-book build . $(JB_FLAGS) || { rm -rf _build/.doctrees; exit 1; }
	@echo
	@echo "The book is in _build/html. Open _build/html/index.html in a browser, or serve it with"
	@echo "  make serve    (then open http://localhost:$(HTTP_PORT))"

test: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --nbval-lax --nbval-current-env tests notebooks

lab: $(STAMP)
	@echo "Open a chapter book/<name>.md with right-click > Open With > Jupytext Notebook: saving it also"
	@echo "updates notebooks/<name>.ipynb. Run 'make sync' before committing."
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_FLAGS)

sync: $(STAMP)
	$(BIN)/python book/_ext/booktools.py sync

student: $(STAMP) vendor
	rm -rf $(STUDENT)
	$(BIN)/python -m course_lib.assign student $(STUDENT)/notebooks
	$(BIN)/python -m course_lib.assign nbgrader $(STUDENT)/nbgrader
	$(BIN)/python -m course_lib.assign site $(STUDENT)/site
	$(BIN)/jupyter-book build $(STUDENT)/site $(JB_FLAGS)
	mv $(STUDENT)/site/_build/html $(STUDENT)/html
	@# The proof: no solution's code and no solution block anywhere in what students get.
	$(BIN)/python -m course_lib.assign audit $(STUDENT)/notebooks $(STUDENT)/site/book $(STUDENT)/html
	@echo
	@echo "Student notebooks: $(STUDENT)/notebooks. Site without solutions: $(STUDENT)/html/index.html."
	@echo "nbgrader course folder: $(STUDENT)/nbgrader (see book/for-instructors.md)."

serve:
	@test -f _build/html/index.html || { echo "no book in _build/html: run make book"; exit 1; }
	$(or $(wildcard $(BIN)/python),$(PYTHON)) -m http.server $(HTTP_PORT) --bind 127.0.0.1 --directory _build/html

clean:
	rm -rf _build book/_static/vendor .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
