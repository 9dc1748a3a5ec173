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
//! [`crate::ErrorKind::class`] ([`crate::error::ErrorClass`]),
//! [`crate::http::HttpErrorKind::class`] ([`crate::http::HttpErrorClass`]) and [`crate::tracker::StallReason::kind`]
//! ([`crate::tracker::StallKind`]).
//!
//! Codes and names are never renumbered, renamed or reused; a retired one stays reserved.

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

#[cfg(test)]
mod tests {
    crate::stable_enum! {
        /// A test enumeration.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Shade {
            /// Light.
            Light = 3 => "light",
            /// Dark.
            Dark = 7 => "dark",
        }
    }

    #[test]
    fn all_lists_the_variants_in_order() {
        assert_eq!(Shade::ALL, [Shade::Light, Shade::Dark]);
    }

    #[test]
    fn serialises_as_the_name() {
        let json = serde_json::to_string(&[Shade::Dark, Shade::Light]).unwrap();
        assert_eq!(json, r#"["dark","light"]"#);
    }
}
