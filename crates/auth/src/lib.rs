//! Who may open the data on this PC, while central authentication may be down.
//!
//! `keyring`: the database is encrypted (SQLCipher) with a random data key; the key is stored
//! only wrapped, once per local account (by the account's PIN or passphrase, through Argon2id),
//! once by the administrator's recovery key, and once by the ward's emergency (break-glass)
//! code. Nothing on disk opens the database without one of those secrets.
//!
//! Architecture Invariant: depends on `hikae-domain`, `hikae-files` and (for signatures)
//! `hikae-packs` only; it never opens the database. It hands the app a data key and says
//! whether a role may do something; the app decides.

pub mod attempts;
pub mod keyring;
pub mod roster;
pub mod session;

pub use keyring::{DataKey, Keyring, SlotKind};
