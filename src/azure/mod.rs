//! The Azure target (`target: azure`): its schema formats, its semantic rules, the
//! Azure part of the model and its templates (`templates/azure/`).

pub mod diagram;
pub mod formats;
pub mod model;
pub mod regions;
pub mod rules;
