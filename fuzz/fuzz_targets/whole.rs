//! Bytes → decoder → events → tracker → outcome + summary JSON, as one chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../../tests/common/fuzz_body.rs");

fuzz_target!(|data: &[u8]| {
    let _ = fuzz_body::check_whole(data);
});
