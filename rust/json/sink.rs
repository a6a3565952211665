//! What the parser tells its consumer as values are recognised.

/// Receives the structure of a JSON text in document order.
///
/// Every value is announced once, complete (scalars) or as a begin/end pair (containers);
/// inside an object each value is preceded by its [`Sink::key`]. The consumer builds
/// whatever representation it wants (Python objects, [`crate::json::Value`]).
pub trait Sink {
    fn begin_array(&mut self);
    fn begin_object(&mut self);
    /// Closes the innermost open container.
    fn end_container(&mut self);
    /// The key of the next member of the innermost object.
    fn key(&mut self, key: &str);
    fn string(&mut self, value: &str);
    /// A validated integer literal (`-?[0-9]+`, no leading zeros, at most 4300 digits).
    fn integer(&mut self, text: &str);
    fn float(&mut self, value: f64);
    fn boolean(&mut self, value: bool);
    fn null(&mut self);
}
