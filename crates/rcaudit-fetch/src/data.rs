//! What a fetch reads: which lists ([`Data`]: all of them by default,
//! fewer when only some rules will read the snapshot), and which extension
//! types can have forwarding numbers (`docs/api-facts.md`, "Fewer
//! requests").

/// The extension types that have call forwarding: the specification's
/// "User extension types" (`listVoiceStateBasedRules`, the call handling
/// that forwards calls, "applicable to the User extension types only:
/// `User`, `DigitalUser`, `FaxUser`, `VirtualUser`").
pub const FORWARDING_TYPES: [&str; 4] = ["User", "DigitalUser", "FaxUser", "VirtualUser"];

/// The other types of the specification's `AllExtensionTypesEnum` (all but
/// `Unknown`): their forwarding list is answered `403 CMN-403` ("The
/// feature is not available for this extension type"), so it is recorded
/// empty without asking.
pub const NO_FORWARDING_TYPES: [&str; 18] = [
    "Department",
    "Announcement",
    "Voicemail",
    "PagingOnly",
    "SharedLinesGroup",
    "DelegatedLinesGroup",
    "GroupCallPickup",
    "IvrMenu",
    "ApplicationExtension",
    "ProxyAdmin",
    "RoomConnector",
    "ParkLocation",
    "Limited",
    "Bot",
    "Site",
    "Room",
    "FlexibleUser",
    "TieLine",
];

/// Whether an extension of a type can have forwarding numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// A type with call forwarding: its list is asked for.
    Has,
    /// A documented type without call forwarding: none, without asking.
    None,
    /// No type, `Unknown`, or a type the specification does not name: its
    /// list is asked for (the answer decides).
    Unknown,
}

/// Whether an extension of type `kind` can have forwarding numbers.
pub fn forwarding(kind: Option<&str>) -> Forwarding {
    match kind {
        Some(kind) if FORWARDING_TYPES.contains(&kind) => Forwarding::Has,
        Some(kind) if NO_FORWARDING_TYPES.contains(&kind) => Forwarding::None,
        _ => Forwarding::Unknown,
    }
}

/// Whether each extension's phone-number list is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtensionNumbers {
    /// Not at all: no rule reads them.
    No,
    /// Unless the account's list covers them: an administrator read it in
    /// full, and it names each number's extension (the default).
    #[default]
    UnlessCovered,
    /// Always: a rule reads what only these lists carry (`features`).
    Yes,
}

/// The data a fetch reads. The account record and the viewer are always
/// read (without the account there is no snapshot; the viewer says who
/// looked). What is not read is absent from the snapshot, so a rule that
/// needs it is not evaluated, and `source.lists` says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each is one piece of data, asked for or not, independently of the others"
)]
pub struct Data {
    /// `serviceInfo`.
    pub service_info: bool,
    /// The account's `phoneNumbers`.
    pub phone_numbers: bool,
    /// `extensions` (without it, no per-extension list either).
    pub extensions: bool,
    /// `extensions[].phoneNumbers`.
    pub extension_phone_numbers: ExtensionNumbers,
    /// `extensions[].forwardingNumbers`.
    pub forwarding_numbers: bool,
    /// `source.viewer.permissions` (`authz-profile`).
    pub permissions: bool,
}

impl Default for Data {
    fn default() -> Self {
        Data::ALL
    }
}

impl Data {
    /// Everything (the default).
    pub const ALL: Data = Data {
        service_info: true,
        phone_numbers: true,
        extensions: true,
        extension_phone_numbers: ExtensionNumbers::UnlessCovered,
        forwarding_numbers: true,
        permissions: true,
    };

    /// Nothing but the account and the viewer.
    pub const NONE: Data = Data {
        service_info: false,
        phone_numbers: false,
        extensions: false,
        extension_phone_numbers: ExtensionNumbers::No,
        forwarding_numbers: false,
        permissions: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification kept in the repository.
    fn specification() -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/ringcentral/rc-platform-openapi-2026-08.yml"
        );
        std::fs::read_to_string(path).expect("the specification fixture")
    }

    #[test]
    fn the_types_are_the_specifications_and_each_is_in_one_list() {
        let spec = specification();
        // AllExtensionTypesEnum's values, but Unknown.
        let start = spec
            .find("\n    AllExtensionTypesEnum:\n")
            .expect("AllExtensionTypesEnum");
        let rest = spec.get(start..).unwrap_or_default();
        let enum_at = rest.find("      enum:\n").expect("its enum");
        let all: Vec<&str> = rest
            .get(enum_at..)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .map_while(|line| line.strip_prefix("        - "))
            .filter(|kind| *kind != "Unknown")
            .collect();
        assert!(all.len() > 20, "{all:?}");
        for kind in &all {
            let has = FORWARDING_TYPES.contains(kind);
            let none = NO_FORWARDING_TYPES.contains(kind);
            assert!(has != none, "{kind} must be in exactly one list");
        }
        assert_eq!(
            FORWARDING_TYPES.len() + NO_FORWARDING_TYPES.len(),
            all.len()
        );
        // The types with call forwarding are the ones the specification
        // names as the User extension types.
        let said = "applicable to the User extension types only: User, DigitalUser, FaxUser,\n        VirtualUser.";
        assert!(
            spec.contains(said),
            "the specification no longer says {said:?}"
        );
        assert_eq!(forwarding(Some("User")), Forwarding::Has);
        assert_eq!(forwarding(Some("IvrMenu")), Forwarding::None);
        for unknown in [
            None,
            Some("Unknown"),
            Some("Hologram"),
            Some("user"),
            Some(""),
        ] {
            assert_eq!(forwarding(unknown), Forwarding::Unknown, "{unknown:?}");
        }
    }
}
