#!/usr/bin/env bash
# The whole stack on this machine: Postgres, tansu, the upstream fake, and the
# service with the real adapters on port ${PORT:-3000}.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --release -p certificate-service -p upstream-fake
deploy/local/tansu.sh start
./target/release/upstream-fake 127.0.0.1:4000 &
fake=$!
trap 'kill $fake 2>/dev/null' EXIT

export DATABASE_URL=${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/certificates}
export RC_IDENTITY_API_BASE_URL=http://127.0.0.1:4000
export RC_CREDENTIALS_API_BASE_URL=http://127.0.0.1:4000
export VERIFICATION_SCHEMA_URL=${VERIFICATION_SCHEMA_URL:-https://schema.example/course-certificate/v1}
export VERIFICATION_SCHEMA_NAME=${VERIFICATION_SCHEMA_NAME:-CourseCertificate}
export CERTIFICATE_ISSUER_DID=${CERTIFICATE_ISSUER_DID:-did:upai:issuer}
export SCHEMA_ID=${SCHEMA_ID:-schema-course-certificate}
export kafkaEnabled=true
export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
export LOG_FORMAT=${LOG_FORMAT:-text}
./target/release/certificate-service
