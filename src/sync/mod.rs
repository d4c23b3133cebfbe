//! Sync back to the hospital's FHIR R4 server (work in progress on this branch): the outbox
//! lives in the store; `fhir` builds the resources.

pub mod fhir;
