//! Arbitrary event sequences: records of known shapes with arbitrary field values, classified
//! and observed at arbitrary times, with `poll_stalls` calls in between. Percentages never
//! decrease, the layer limit holds, nothing panics.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

include!("../../tests/common/fuzz_body.rs");

/// The case, decoded from the fuzzer's bytes with the fixed layout of
/// `TrackerCase::from_bytes`, so crash files replay without `arbitrary`.
struct Case(fuzz_body::TrackerCase);

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.arbitrary_len::<u8>()?;
        Ok(Case(fuzz_body::TrackerCase::from_bytes(u.bytes(len)?)))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Case(fuzz_body::TrackerCase::from_bytes(u.take_rest())))
    }
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fuzz_target!(|case: Case| {
    fuzz_body::check_tracker(&case.0);
});
