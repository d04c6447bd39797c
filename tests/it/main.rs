//! hagen's integration tests: one test binary (one link, one `cargo test` target), one
//! module per area, one shared [`support`] module.
//!
//! Tests that need an outside tool (terraform/tofu, checkov, pre-commit) fail under CI
//! (`CI` set) when the tool is missing, and elsewhere print why they skip.

mod support;

mod app_access;
mod architecture;
mod aws_facts;
mod azure;
mod check_shortcut;
mod cli;
mod ecs_dynamodb;
mod eks;
mod errors;
mod fuzz_like;
mod module_data_tier;
mod module_readme;
mod module_real_aws;
mod network_compute;
mod precommit;
mod properties;
mod readme;
mod snapshots;
mod templates;
mod terraform;
mod upgrades;
mod write;
mod write_inputs;
mod write_safety;
