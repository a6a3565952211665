//! Placeholder until the parser is written.
