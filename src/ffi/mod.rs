//! The C ABI (placeholder: being written).
