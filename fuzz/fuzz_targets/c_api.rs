//! Random sequences of C calls — NULL handles and out-pointers, zero lengths, small buffers,
//! pause/resume, feed after finish, free-and-recreate — checked against a Rust model. Run it
//! under AddressSanitizer: `RUSTC_BOOTSTRAP=1 cargo fuzz run c_api`.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../../tests/common/fuzz_body.rs");
include!("../../capi/tests/common/c_api_body.rs");

fuzz_target!(|data: &[u8]| {
    c_api_body::check_c_api(data);
});
