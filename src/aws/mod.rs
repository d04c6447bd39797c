//! The AWS target: its schema formats, its semantic rules and its templates
//! (`templates/aws/`).

pub mod diagram;
pub mod formats;
pub mod rules;
