//! Every enumeration declared with `stable_enum!` reads back both ways: code → value → code,
//! name → value → name, every variant documented, no name twice (the codes cannot repeat: they
//! are the discriminants).

use pullstream::stable::StableEnum;

fn check_table<E: StableEnum + std::fmt::Debug>() {
    for (i, entry) in E::TABLE.iter().enumerate() {
        let value = E::from_code(entry.code).expect("every code reads back");
        assert_eq!(value.code(), entry.code);
        assert_eq!(value.name(), entry.name);
        assert_eq!(E::from_name(entry.name), Some(value));
        assert!(!entry.doc.trim().is_empty(), "{value:?} has no doc");
        assert!(
            E::TABLE[..i].iter().all(|e| e.name != entry.name),
            "{} twice",
            entry.name
        );
    }
    assert_eq!(E::from_name("no such name"), None);
}

#[test]
fn tables_read_back_both_ways() {
    check_table::<pullstream::error::ErrorClass>();
    check_table::<pullstream::http::HttpErrorClass>();
    check_table::<pullstream::error::ErrorSource>();
    check_table::<pullstream::event::EventKind>();
    check_table::<pullstream::event::FailureKind>();
    check_table::<pullstream::event::Unit>();
    check_table::<pullstream::event::PullResult>();
    check_table::<pullstream::outcome::Verdict>();
    check_table::<pullstream::outcome::Operation>();
    check_table::<pullstream::outcome::Dialect>();
    check_table::<pullstream::outcome::SuccessKind>();
    check_table::<pullstream::outcome::IncompleteReason>();
    check_table::<pullstream::tracker::Phase>();
    check_table::<pullstream::tracker::Completion>();
    check_table::<pullstream::tracker::StallPhase>();
    check_table::<pullstream::tracker::StallKind>();
    check_table::<pullstream::tracker::Limit>();
}
