//! The HTTP/1.1 response decoder (`pullstream::http`, for `--http` and raw sockets): the same
//! bytes fed whole and cut anywhere give the same head, body, consumed length and errors; the
//! body then goes through the `whole` checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../../tests/common/fuzz_body.rs");

fuzz_target!(|data: &[u8]| {
    fuzz_body::check_http(&fuzz_body::ChunkedCase::from_bytes(data));
});
