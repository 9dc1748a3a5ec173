//! Stable codes and names: the one list behind every enumeration that leaves the crate.
//!
//! Each enumeration that crosses a boundary (the JSON summary, the `--events` output, the C
//! ABI, the Python constants, the tables in the docs) is declared once with [`stable_enum!`](crate::stable_enum):
//! every variant with its stable numeric code (its C value), its stable name (the JSON name)
//! and its doc. The macro derives the Rust enum (`#[repr(u8)]`, the code as discriminant, so
//! two variants cannot share a code and every code fits in a byte), [`StableEnum`] (`ALL`, `name`, `from_name`, `code`,
//! `from_code`, the [`Entry`] table) and serde's `Serialize` as the name. Everything else —
//! the C header's enumerations, the C `*_name()` functions, the Python module, the docs
//! tables — is generated from the tables and checked by freshness tests, so adding a variant
//! here is the only edit, and the compiler points at every `match` that must learn it.
//!
//! Data-carrying enumerations get a fieldless companion declared the same way, and a method
//! giving it by an exhaustive `match` inside this crate: [`crate::Event::kind`] ([`crate::event::EventKind`]),
//! [`crate::ErrorKind::class`] ([`ErrorClass`]), [`crate::http::HttpErrorKind::class`]
//! ([`HttpErrorClass`]) and [`crate::tracker::StallReason::kind`]
//! ([`crate::tracker::StallKind`]).
//!
//! Codes and names are never renumbered, renamed or reused; a retired one stays reserved.

use crate::error::ErrorKind;
use crate::http::HttpErrorKind;

#[doc(hidden)]
pub use serde as __serde;

/// One variant of a stable enumeration, as the generators see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The stable numeric code (the C value).
    pub code: u32,
    /// The stable name (the JSON name; its upper case is the C name's last part).
    pub name: &'static str,
    /// The Rust variant's name.
    pub variant: &'static str,
    /// The variant's doc, one line per `///` line.
    pub doc: &'static str,
}

impl Entry {
    /// The doc as plain text lines: rustdoc's link brackets removed, one leading space cut.
    pub fn doc_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.doc.lines().map(|line| {
            let line = line.strip_prefix(' ').unwrap_or(line);
            line.replace("[`", "`").replace("`]", "`")
        })
    }

    /// The name in upper snake case (`docker-containerd` → `DOCKER_CONTAINERD`): the last part
    /// of the C name.
    pub fn upper_name(&self) -> String {
        self.name.replace('-', "_").to_uppercase()
    }
}

/// What [`stable_enum!`](crate::stable_enum) derives: the codes, names and table of a fieldless enumeration.
pub trait StableEnum: Copy + Eq + 'static {
    /// Every variant with its code, name and doc, in declaration order.
    const TABLE: &'static [Entry];

    /// The stable numeric code (the C value).
    fn code(self) -> u32;

    /// The stable name (the JSON name).
    fn name(self) -> &'static str;

    /// The variant with this code, if any.
    fn from_code(code: u32) -> Option<Self>;

    /// The variant with this name, if any.
    fn from_name(name: &str) -> Option<Self>;
}

/// Declares a fieldless enumeration with stable codes and names (see the [module](self) docs).
///
/// ```
/// pullstream::stable_enum! {
///     /// A colour.
///     #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
///     pub enum Colour {
///         /// Red.
///         Red = 1 => "red",
///         /// Dark green.
///         DarkGreen = 2 => "dark_green",
///     }
/// }
/// use pullstream::stable::StableEnum;
/// assert_eq!(Colour::DarkGreen.name(), "dark_green");
/// assert_eq!(Colour::from_code(1), Some(Colour::Red));
/// assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkGreen]);
/// assert_eq!(Colour::TABLE[1].doc, " Dark green.\n");
/// ```
#[macro_export]
macro_rules! stable_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident = $code:literal => $text:literal,
            )+
        }
    ) => {
        $(#[$meta])*
        // One byte, not four: these enums sit in per-layer state whose size the memory bound
        // counts. Every code fits (the compiler rejects one that does not); C sees `uint32_t`.
        #[repr(u8)]
        $vis enum $name {
            $( $(#[doc = $doc])* $variant = $code, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The stable name, as in the JSON output.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The variant with this stable name, if any.
            pub fn from_name(name: &str) -> ::core::option::Option<$name> {
                match name {
                    $($text => ::core::option::Option::Some($name::$variant),)+
                    _ => ::core::option::Option::None,
                }
            }

            /// The stable numeric code (the C value).
            pub const fn code(self) -> u32 {
                self as u32
            }

            /// The variant with this code, if any.
            pub const fn from_code(code: u32) -> ::core::option::Option<$name> {
                match code {
                    $($code => ::core::option::Option::Some($name::$variant),)+
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl $crate::stable::StableEnum for $name {
            const TABLE: &'static [$crate::stable::Entry] = &[$(
                $crate::stable::Entry {
                    code: $code,
                    name: $text,
                    variant: stringify!($variant),
                    doc: concat!($($doc, "\n",)*),
                },
            )+];

            fn code(self) -> u32 {
                $name::code(self)
            }

            fn name(self) -> &'static str {
                $name::name(self)
            }

            fn from_code(code: u32) -> ::core::option::Option<$name> {
                $name::from_code(code)
            }

            fn from_name(name: &str) -> ::core::option::Option<$name> {
                $name::from_name(name)
            }
        }

        impl $crate::stable::__serde::Serialize for $name {
            fn serialize<S: $crate::stable::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }
    };
}

stable_enum! {
    /// The class of an [`ErrorKind`]: which kind of bytes could not be decoded, without the
    /// details. Its codes are the C statuses 100–149 (`PULLSTREAM_STATUS_NOT_JSON`, …).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum ErrorClass {
        /// A byte outside any record that cannot start one (an HTML page, a stray byte).
        NotJson = 100 => "not_json",
        /// A record was abandoned before it closed (a raw line break inside a string, a new `{`).
        Unterminated = 101 => "unterminated",
        /// A record grew past the configured maximum record length and was skipped.
        RecordTooLarge = 102 => "record_too_large",
        /// A record nested deeper than the configured maximum depth and was skipped.
        TooDeep = 103 => "too_deep",
        /// A delimited record that is not valid JSON (or not UTF-8).
        Syntax = 104 => "syntax",
        /// A field the decoder reads had the wrong JSON type.
        WrongType = 105 => "wrong_type",
        /// A field the decoder reads appeared twice in one object.
        DuplicateField = 106 => "duplicate_field",
        /// The stream ended inside a record (reported by `finish`).
        Truncated = 107 => "truncated",
    }
}

impl ErrorKind {
    /// The class of this error, without its details.
    pub fn class(&self) -> ErrorClass {
        match self {
            ErrorKind::NotJson { .. } => ErrorClass::NotJson,
            ErrorKind::Unterminated { .. } => ErrorClass::Unterminated,
            ErrorKind::RecordTooLarge { .. } => ErrorClass::RecordTooLarge,
            ErrorKind::TooDeep { .. } => ErrorClass::TooDeep,
            ErrorKind::Syntax { .. } => ErrorClass::Syntax,
            ErrorKind::WrongType { .. } => ErrorClass::WrongType,
            ErrorKind::DuplicateField { .. } => ErrorClass::DuplicateField,
            ErrorKind::Truncated { .. } => ErrorClass::Truncated,
        }
    }
}

stable_enum! {
    /// The class of an [`HttpErrorKind`]: what went wrong with an HTTP response, coarsely.
    /// Its codes are the C statuses 120–149 (`PULLSTREAM_STATUS_HTTP_BAD_HEAD`, …).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum HttpErrorClass {
        /// The status line or a header is malformed (or the input is a bare body, not a whole
        /// response).
        BadHead = 120 => "bad_head",
        /// The head or a chunk-size line is longer than its limit.
        TooLarge = 121 => "too_large",
        /// A chunk-size line or the end of a chunk is malformed.
        BadChunk = 122 => "bad_chunk",
        /// The input ended inside the head or the body.
        Truncated = 123 => "truncated",
        /// A transfer coding other than `chunked` (e.g. `gzip`).
        Unsupported = 124 => "unsupported",
    }
}

impl HttpErrorKind {
    /// The class of this error.
    pub fn class(&self) -> HttpErrorClass {
        match self {
            HttpErrorKind::BadStatusLine
            | HttpErrorKind::BadHeader
            | HttpErrorKind::BadContentLength => HttpErrorClass::BadHead,
            HttpErrorKind::HeadTooLarge { .. } | HttpErrorKind::ChunkLineTooLong { .. } => {
                HttpErrorClass::TooLarge
            }
            HttpErrorKind::BadChunkSize | HttpErrorKind::MissingChunkDelimiter => {
                HttpErrorClass::BadChunk
            }
            HttpErrorKind::TruncatedHead | HttpErrorKind::TruncatedBody => {
                HttpErrorClass::Truncated
            }
            HttpErrorKind::UnsupportedTransferEncoding => HttpErrorClass::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_table<E: StableEnum + std::fmt::Debug>() {
        for (i, entry) in E::TABLE.iter().enumerate() {
            let value = E::from_code(entry.code).expect("every code reads back");
            assert_eq!(value.code(), entry.code);
            assert_eq!(value.name(), entry.name);
            assert_eq!(E::from_name(entry.name), Some(value));
            assert!(!entry.doc.trim().is_empty(), "{:?} has no doc", value);
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
        check_table::<ErrorClass>();
        check_table::<HttpErrorClass>();
        check_table::<crate::event::EventKind>();
        check_table::<crate::event::FailureKind>();
        check_table::<crate::event::Unit>();
        check_table::<crate::event::PullResult>();
        check_table::<crate::event::ErrorSource>();
        check_table::<crate::outcome::Verdict>();
        check_table::<crate::outcome::Operation>();
        check_table::<crate::outcome::Dialect>();
        check_table::<crate::outcome::SuccessKind>();
        check_table::<crate::outcome::IncompleteReason>();
        check_table::<crate::tracker::Phase>();
        check_table::<crate::tracker::Completion>();
        check_table::<crate::tracker::StallPhase>();
        check_table::<crate::tracker::StallKind>();
        check_table::<crate::tracker::Limit>();
    }

    #[test]
    fn serialises_as_the_name() {
        let json = serde_json::to_string(&[ErrorClass::TooDeep, ErrorClass::NotJson]).unwrap();
        assert_eq!(json, r#"["too_deep","not_json"]"#);
    }
}
