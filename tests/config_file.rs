//! Placeholder, filled below.
#![cfg(feature = "config")]
