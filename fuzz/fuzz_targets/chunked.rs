//! A structured case (data, cut points, limits, pause policy): the chunked run with pauses must
//! produce the same item log and summary as the whole run. A failing case's `Debug` is a
//! reproducer ready to paste into `tests/fuzz_regressions.rs`.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::{fuzz_target, Corpus};

include!("../../tests/common/fuzz_body.rs");

/// The case, decoded from the fuzzer's bytes with the fixed layout of
/// `ChunkedCase::from_bytes`, so crash files and seeds replay without `arbitrary`.
struct Case(fuzz_body::ChunkedCase);

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.arbitrary_len::<u8>()?;
        Ok(Case(fuzz_body::ChunkedCase::from_bytes(u.bytes(len)?)))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Case(fuzz_body::ChunkedCase::from_bytes(u.take_rest())))
    }
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fuzz_target!(|case: Case| -> Corpus {
    if case.0.data.len() > 64 << 10 {
        return Corpus::Reject;
    }
    fuzz_body::check_chunked(&case.0);
    Corpus::Keep
});
