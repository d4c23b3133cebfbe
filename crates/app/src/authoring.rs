//! Authoring tools for administrators (`hikae pack new | check | build | keygen | sign |
//! verify`, `hikae roster sign`): files in, files out, on the administrator's machine. No
//! patient data is involved; installing on a ward PC is [`crate::Hikae::install_pack`] and
//! [`crate::Hikae::install_roster`].

pub use hikae_auth::roster::Roster;
pub use hikae_packs::{archive, check, install, sign, Pack, PackProblem};
