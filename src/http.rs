//! Optional HTTP/1.1 response decoding (placeholder: being written).
