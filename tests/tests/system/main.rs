//! The system tests, one test binary: each module was a binary of its own,
//! and each linked librdkafka and the rest of the workspace again (twelve
//! links of about a minute on two cores after a change to the harness; one
//! now, see BENCHMARKS.md).

mod auth;
mod bulk;
mod contracts;
mod did_web;
mod docs_examples;
mod event_contract;
mod events;
mod image;
mod issue_flow;
mod kafka_rust;
mod local_issuer;
mod observability;
mod one_credential;
mod open_badges;
mod openapi;
mod reliability;
mod render_routes;
mod rendering;
mod standings;
mod status_lists;
mod verify;
mod verify_page;
mod wallet;
