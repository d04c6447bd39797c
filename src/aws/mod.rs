//! The AWS target: its schema formats, its semantic rules and its templates
//! (`templates/aws/`).

pub mod diagram;
pub mod engines;
pub mod fargate;
pub mod formats;
pub mod images;
pub mod instances;
pub mod regions;
pub mod rules;
pub mod schedule;
