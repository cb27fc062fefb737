# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

NEXTEST_ARGS ?=

.PHONY: run test deps build docs up down events bench bench-badges bench-bulk bench-page bench-render bench-status soak image image-test fmt lint

## run: the service in embedded mode (no Postgres, no Kafka) on port 3000
run:
	@echo "run: building the service if needed (several minutes on a fresh checkout), then serving on :$${PORT:-3000}"
	LOG_FORMAT=$${LOG_FORMAT:-text} cargo run --quiet -p certificate-service --bin certificate-service

## deps: install what is missing (Debian packages, cargo-nextest, tansu) and start Postgres
deps:
	deploy/local/deps.sh

## build: every crate and test of the workspace, once
build:
	cargo build --workspace --all-targets

## docs: check the docs (README.md, SECURITY.md, BENCHMARKS.md, RELIABILITY.md, docs/): every link, repository path and make target they name
docs:
	python3 tests/docs/check.py

## test: deps, the lint (rustfmt, clippy -D warnings), the docs' check, then every test against real Postgres, tansu and the upstream fakes, a 60 s soak, the image's start test
test: deps lint docs build
	deploy/local/tansu.sh start
	status=0; cargo nextest run --workspace --no-fail-fast $(NEXTEST_ARGS) || status=$$?; \
	echo "test: a 60 s soak (seed 17: SIGTERM, SIGKILL, Postgres restart, broker cut, late credential answers) on the debug binary"; \
	SOAK_SECONDS=60 SOAK_SEED=17 CERTIFICATE_SERVICE_BIN=target/debug/certificate-service target/debug/soak || status=$$?; \
	$(MAKE) --no-print-directory image-test || status=$$?; \
	if [ -n "$$KAFKA_V0_BROKERS" ]; then \
	  cargo nextest run -p certificate-system-tests --run-ignored only -E 'test(kafka_v0)' || status=$$?; \
	fi; \
	deploy/local/tansu.sh stop; exit $$status

## up: Postgres, tansu, the upstream fake and the service with the real adapters (Ctrl-C stops it)
up: deps
	deploy/local/up.sh

## down: stop the broker `make up` started
down:
	deploy/local/tansu.sh stop

## events: print the records of user-topic (see README.md, "The real stack")
events:
	cargo run --quiet -p certificate-system-tests --bin event-consumer -- $${KAFKA_TOPIC:-user-topic} $${KAFKA_BROKERS:-127.0.0.1:9092}

## bench: throughput, latency, memory and relay rate against the real stack, then rendering, then status lists, then Open Badges, then the verification page, then bulk jobs; appends to BENCHMARKS.md
bench: deps
	python3 bench/run.py
	python3 bench/render.py
	python3 bench/status.py
	python3 bench/open_badges.py
	python3 bench/verify_page.py
	python3 bench/bulk.py

## soak: SOAK_SECONDS (600) of load and random faults (SOAK_SEED) on two release replicas; appends to RELIABILITY.md
soak: deps
	@echo "soak: building the release binaries (several minutes on a fresh checkout)"
	cargo build --release --quiet -p certificate-service -p certificate-system-tests --bin certificate-service --bin soak
	CERTIFICATE_SERVICE_BIN=target/release/certificate-service SOAK_REPORT=RELIABILITY.md target/release/soak

## bench-badges: µs per Open Badge signed (this service beside Digital Bazaar's cryptosuite in node), issuance of Open Badges against CourseCertificates
bench-badges: deps
	python3 bench/open_badges.py

## bench-bulk: a 20,000-row bulk job's rate, and single requests' p99 at 16 connections without and while it runs
bench-bulk: deps
	python3 bench/bulk.py

## bench-page: the verification page a browser gets beside the verify route's JSON, at 64 connections
bench-page: deps
	python3 bench/verify_page.py

## bench-status: issuance with the built-in issuer (before/after with BENCH_BEFORE_BINARY), revocations, GET /status
bench-status: deps
	python3 bench/status.py

## bench-render: HTML and PDF renderings per second, cached and not, beside the NestJS service's PDF path
bench-render: deps
	python3 bench/render.py

## image: the OCI image from deploy/Dockerfile, built here (debootstrap + buildah): target/image/certificate-service.oci.tar
image: deps
	deploy/image/build.sh

## image-test: make image, then the image started as deployment.yaml runs it (uid 10001, read-only root) against the test stack (needs tansu up, as make test has it)
image-test: image
	deploy/image/run.py unpack
	CERTIFICATE_SERVICE_BIN=$(CURDIR)/deploy/image/run.py cargo nextest run -p certificate-system-tests --run-ignored only -E 'test(/^image::/)'

fmt:
	cargo fmt --all

## lint: formatting and clippy, warnings as errors (part of make test, so a red lint cannot land)
lint:
	@echo "lint: cargo fmt --check, then cargo clippy -D warnings (a few minutes on a fresh checkout)"
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
