//! Placeholder until this framer is written.
