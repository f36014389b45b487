//! Deterministic generated accounts, shaped like `bench/gen_snapshot.py`'s.
//!
//! The generator writes a snapshot document (`docs/snapshot-format.md`),
//! which the server then serves like any snapshot file: same arguments,
//! same document, byte for byte. The random stream is this crate's own
//! (`rng.rs`), so the data is not the Python generator's, only its shapes
//! and proportions.

use std::collections::HashSet;

use crate::json::{Json, Obj};
use crate::obj;
use crate::rng::Rng;

/// Premium-rate and shared-cost ranges (prefix, subscriber digits): NANP
/// 900, UK 09, French 0891, German 0900 1, Australian 1300 (shared cost).
pub const COSTLY: &[(&str, u32)] = &[
    ("+1900", 7),
    ("+44909", 7),
    ("+33891", 6),
    ("+499001", 6),
    ("+611300", 6),
];

/// Mobile ranges abroad (prefix, subscriber digits): UK 07400, French 061,
/// German 0151, Spanish 6, Indian 098.
pub const ABROAD: &[(&str, u32)] = &[
    ("+447400", 6),
    ("+3361", 7),
    ("+49151", 8),
    ("+346", 8),
    ("+9198", 8),
];

/// Where record `uri`s point, as the real API's records say.
pub const SERVER: &str = "https://platform.ringcentral.com";

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Emily",
    "Andrew",
    "Donna",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "Wei",
    "Priya",
    "Hiroshi",
    "Olga",
    "Mateo",
    "Aisha",
    "Lars",
    "Ingrid",
    "Omar",
    "Mei",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Nguyen",
    "Chen",
    "Patel",
    "Kim",
    "Tanaka",
    "Kowalski",
    "Novak",
    "Haddad",
    "Larsen",
    "Okafor",
    "Ivanova",
    "Rossi",
    "Schneider",
    "Dubois",
];
const COMPANIES: &[&str] = &[
    "Acme Logistics",
    "Blue Harbor Dental",
    "Cedar Ridge Realty",
    "Northwind Traders",
    "Summit Legal Group",
    "Riverbend Clinics",
    "Pioneer HVAC Services",
    "Golden Gate Insurance",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("San Mateo", "CA", "650"),
    ("Denver", "CO", "303"),
    ("Austin", "TX", "512"),
    ("Charlotte", "NC", "704"),
    ("Seattle", "WA", "206"),
    ("Chicago", "IL", "312"),
    ("Boston", "MA", "617"),
    ("Phoenix", "AZ", "602"),
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Market St",
    "2nd Ave",
    "Elm St",
    "Industrial Pkwy",
    "Harbor Blvd",
    "Lake Shore Dr",
];
const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Support",
    "Billing",
    "Reception",
    "Dispatch",
    "Front Desk",
    "Warehouse",
    "Legal",
    "HR",
    "IT Helpdesk",
];
/// Forwarding labels and the `type` the API gives them.
const FWD_LABELS: &[(&str, &str)] = &[
    ("Home", "Home"),
    ("Mobile", "Mobile"),
    ("Work", "Work"),
    ("Other", "Other"),
    ("Desk phone (Yealink T54W)", "PhoneLine"),
    ("Polycom VVX 450", "PhoneLine"),
    ("Cisco SPA504G", "PhoneLine"),
    ("RingCentral for Desktop", "PhoneLine"),
    ("Outage", "Outage"),
    ("Business mobile", "BusinessMobilePhone"),
];
/// Non-person extension kinds, their share in thousandths, and the word
/// their names use. The rest (840/1000) are people.
const OTHER_KINDS: &[(&str, u32, &str)] = &[
    ("VirtualUser", 30, ""),
    ("FaxUser", 15, "Fax"),
    ("Department", 30, "Queue"),
    ("Announcement", 10, "Announcement"),
    ("Voicemail", 10, "Voicemail"),
    ("IvrMenu", 15, "IVR"),
    ("ParkLocation", 20, "Park"),
    ("SharedLinesGroup", 10, "Shared Lines"),
    ("PagingOnly", 5, "Paging"),
    ("Limited", 10, "Common Phone"),
    ("ApplicationExtension", 5, "Bot"),
];
/// Kinds that have forwarding numbers; others get 403 CMN-403 there (an
/// `errors` entry in the generated document: an absent list alone is
/// unknown, answered CMN-401).
const FORWARDING_KINDS: &[&str] = &["User", "DigitalUser", "VirtualUser", "FaxUser"];
/// Share of forwarding lists left out as unreadable (an `errors` entry).
const FORWARDING_ERROR_RATE: f64 = 0.002;
const SERVICE_FEATURES: &[(&str, bool)] = &[
    ("CallForwarding", true),
    ("CallPark", true),
    ("CallerIdControl", true),
    ("Conferencing", true),
    ("DND", true),
    ("EmergencyCalling", true),
    ("Fax", true),
    ("FaxReceiving", true),
    ("HDVoice", true),
    ("InternationalCalling", false),
    ("InternationalSMS", false),
    ("MMS", true),
    ("OnDemandCallRecording", true),
    ("Presence", true),
    ("RingOut", true),
    ("SMS", true),
    ("SMSReceiving", true),
    ("SiteCodes", false),
    ("VideoConferencing", true),
    ("Voicemail", true),
    ("VoipCalling", true),
    ("WebPhone", true),
];

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Number of extensions (at least 1: the operator).
    pub extensions: usize,
    /// Seed of the random stream.
    pub seed: u64,
    /// Whether the viewer (the operator extension) is an administrator.
    pub admin: bool,
}

struct Gen {
    r: Rng,
    account_id: u64,
    acc_uri: String,
    company: &'static str,
    domain: String,
    city: (&'static str, &'static str, &'static str),
    next_ext_id: u64,
    next_pn_id: u64,
    next_fwd_id: u64,
    used_numbers: HashSet<String>,
}

/// One generated extension before assembly.
struct Ext {
    id: u64,
    number: String,
    kind: &'static str,
    record: Obj,
}

/// Generates a snapshot document.
pub fn snapshot(p: Params) -> Json {
    Gen::new(p.seed).build(p)
}

fn pick<T: Copy>(r: &mut Rng, items: &[T], fallback: T) -> T {
    r.choose(items).copied().unwrap_or(fallback)
}

impl Gen {
    fn new(seed: u64) -> Self {
        let mut r = Rng::new(seed);
        let account_id = 400_000_000_000 + r.range(100_000_000, 999_999_999);
        let company = pick(&mut r, COMPANIES, "Acme Logistics");
        let domain = format!("{}.example", company.to_lowercase().replace(' ', ""));
        let city = pick(&mut r, CITIES, ("San Mateo", "CA", "650"));
        let next_ext_id = 62_000_000_000 + r.range(1000, 9000) * 1000 + 8;
        let next_pn_id = 1_100_000_000 + r.range(1000, 9000) * 1000 + 8;
        let next_fwd_id = 700_000_000 + r.range(1000, 9000) * 1000 + 8;
        Gen {
            r,
            account_id,
            acc_uri: format!("{SERVER}/restapi/v1.0/account/{account_id}"),
            company,
            domain,
            city,
            next_ext_id,
            next_pn_id,
            next_fwd_id,
            used_numbers: HashSet::new(),
        }
    }

    // ids in RingCentral's style: large, ending in 8 (the shard suffix)
    fn ext_id(&mut self) -> u64 {
        self.next_ext_id += 1000 * self.r.range(1, 4);
        self.next_ext_id
    }

    fn pn_id(&mut self) -> u64 {
        self.next_pn_id += 1000 * self.r.range(1, 4);
        self.next_pn_id
    }

    fn fwd_id(&mut self) -> u64 {
        self.next_fwd_id += 1000 * self.r.range(1, 4);
        self.next_fwd_id
    }

    /// A fresh E.164 number (`plus`: with the leading `+`).
    fn number(&mut self, area: Option<&str>, toll_free: bool, plus: bool) -> String {
        const AREAS: &[&str] = &[
            "650", "415", "408", "303", "512", "704", "206", "312", "617", "602", "720",
        ];
        const TOLL_FREE: &[&str] = &["800", "833", "844", "855", "866", "877", "888"];
        loop {
            let n = if toll_free {
                let prefix = pick(&mut self.r, TOLL_FREE, "800");
                format!("1{prefix}{:07}", self.r.range(0, 10_000_000))
            } else {
                let a = match area {
                    Some(a) => a,
                    None => pick(&mut self.r, AREAS, "650"),
                };
                format!(
                    "1{a}{}{:06}",
                    self.r.range(2, 10),
                    self.r.range(0, 1_000_000)
                )
            };
            if self.used_numbers.insert(n.clone()) {
                return if plus { format!("+{n}") } else { n };
            }
        }
    }

    fn local(&mut self, chance_in_area: f64) -> String {
        let area = self.city.2;
        let in_area = self.r.chance(chance_in_area);
        self.number(in_area.then_some(area), false, true)
    }

    /// A premium-rate or shared-cost number, the toll-fraud target a few
    /// forwarding lists of a real account hold: a fixed prefix of such a
    /// range (libphonenumber's metadata) and random subscriber digits.
    fn costly(&mut self) -> String {
        let (prefix, digits) = pick(&mut self.r, COSTLY, ("+1900", 7));
        self.fresh(prefix, digits)
    }

    /// A mobile number in another country: a user abroad, or a number
    /// nobody at the company asked for.
    fn abroad(&mut self) -> String {
        let (prefix, digits) = pick(&mut self.r, ABROAD, ("+447400", 6));
        self.fresh(prefix, digits)
    }

    /// `prefix` and `digits` random digits, not used before; a NANP prefix
    /// gets an exchange that exists (its first digit 2-9).
    fn fresh(&mut self, prefix: &str, digits: u32) -> String {
        loop {
            let exchange = if prefix.starts_with("+1") {
                self.r.range(2, 10).to_string()
            } else {
                String::new()
            };
            let rest = digits - u32::from(!exchange.is_empty());
            let n = format!(
                "{prefix}{exchange}{:0width$}",
                self.r.range(0, 10u64.pow(rest)),
                width = usize::try_from(rest).unwrap_or(0)
            );
            if self
                .used_numbers
                .insert(n.trim_start_matches('+').to_owned())
            {
                return n;
            }
        }
    }

    fn kinds(&mut self, n: usize) -> Vec<&'static str> {
        let weights: Vec<u32> = OTHER_KINDS.iter().map(|k| k.1).collect();
        let others: u32 = weights.iter().sum();
        (0..n)
            .map(|i| {
                if i == 0 || self.r.range(0, 1000) >= u64::from(others) {
                    if self.r.chance(0.05) {
                        "User"
                    } else {
                        "DigitalUser"
                    }
                } else {
                    OTHER_KINDS
                        .get(self.r.weighted(&weights))
                        .map_or("VirtualUser", |k| k.0)
                }
            })
            .collect()
    }

    fn forwarding(&mut self, ext_uri: &str, n: usize) -> Vec<Json> {
        let mut flips: Vec<u32> = (1..10).collect();
        self.r.shuffle(&mut flips);
        (0..n)
            .map(|i| {
                let (label, kind) = pick(&mut self.r, FWD_LABELS, ("Home", "Home"));
                let id = self.fwd_id();
                let number = if self.r.chance(0.003) {
                    self.costly()
                } else if self.r.chance(0.01) {
                    self.abroad()
                } else {
                    self.local(0.6)
                };
                let mut features = if self.r.chance(0.7) {
                    vec!["CallForwarding", "CallFlip"]
                } else {
                    vec!["CallFlip"]
                };
                // at most 9 flip digits exist; longer lists forward only
                let flip = flips.get(i).map(u32::to_string);
                if flip.is_none() {
                    features = vec!["CallForwarding"];
                }
                let mut rec = obj! {
                    "uri" => format!("{ext_uri}/forwarding-number/{id}"),
                    "id" => id.to_string(),
                    "phoneNumber" => number,
                    "label" => label,
                    "features" => features,
                };
                if let Some(flip) = flip {
                    rec.insert("flipNumber", flip);
                }
                rec.insert("type", kind);
                Json::Object(rec)
            })
            .collect()
    }

    fn forwarding_count(&mut self) -> usize {
        if self.r.chance(0.02) {
            return pick(&mut self.r, &[11, 11, 12], 11);
        }
        // 0..10 inclusive, mostly 1-3, sometimes exactly at the limit
        self.r.weighted(&[15, 33, 24, 10, 6, 4, 2, 2, 1, 1, 2])
    }

    fn extension(&mut self, idx: usize, kind: &'static str, admin: Option<bool>) -> Ext {
        let id = self.ext_id();
        let uri = format!("{}/extension/{id}", self.acc_uri);
        let number = if idx == 0 {
            String::from("101")
        } else {
            (1000 + idx).to_string()
        };
        let person = matches!(kind, "User" | "DigitalUser" | "VirtualUser");
        let (first, last, name, email) = if person {
            let first = pick(&mut self.r, FIRST, "Ada");
            let last = pick(&mut self.r, LAST, "Smith");
            (
                first.to_owned(),
                Some(last),
                format!("{first} {last}"),
                format!(
                    "{}.{}{idx}@{}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    self.domain
                ),
            )
        } else {
            let dept = pick(&mut self.r, DEPARTMENTS, "Sales");
            let word = OTHER_KINDS
                .iter()
                .find(|k| k.0 == kind)
                .map_or("Line", |k| k.2);
            let first = format!("{dept} {word}");
            let name = format!("{first} {idx}");
            (first, None, name, format!("ext{number}@{}", self.domain))
        };
        let mut contact = obj! { "firstName" => first };
        if let Some(last) = last {
            contact.insert("lastName", last);
        }
        let street = format!(
            "{} {}",
            self.r.range(1, 9999),
            pick(&mut self.r, STREETS, "Main St")
        );
        let zip = format!("{:05}", self.r.range(10000, 99999));
        contact.insert("company", self.company);
        contact.insert("email", email);
        contact.insert(
            "businessAddress",
            obj! {
                "street" => street,
                "city" => self.city.0,
                "state" => self.city.1,
                "zip" => zip,
                "country" => "United States",
            },
        );
        let status = ["Enabled", "Disabled", "NotActivated"]
            .get(self.r.weighted(&[92, 5, 3]))
            .copied()
            .unwrap_or("Enabled");
        let is_admin = admin.unwrap_or_else(|| self.r.chance(0.01));
        let hidden = matches!(kind, "ParkLocation" | "PagingOnly") && self.r.chance(0.5);
        let record = obj! {
            "uri" => uri,
            "id" => id,
            "extensionNumber" => number.as_str(),
            "contact" => contact,
            "name" => name,
            "type" => kind,
            "status" => status,
            "permissions" => obj! { "admin" => obj! { "enabled" => is_admin } },
            "hidden" => hidden,
        };
        Ext {
            id,
            number,
            kind,
            record,
        }
    }

    fn plan(&mut self) -> Obj {
        obj! {
            "id" => format!("2{:07}", self.r.range(0, 10_000_000)),
            "name" => "RingEX Advanced",
            "edition" => "Advanced",
        }
    }

    fn country() -> Obj {
        obj! {
            "uri" => format!("{SERVER}/restapi/v1.0/dictionary/country/1"),
            "id" => "1",
            "name" => "United States",
            "isoCode" => "US",
            "callingCode" => "1",
        }
    }

    fn country_ref() -> Obj {
        obj! { "id" => "1", "uri" => format!("{SERVER}/restapi/v1.0/dictionary/country/1") }
    }

    fn limits() -> Obj {
        obj! {
            "freeSoftPhoneLinesPerExtension" => 5u64,
            "meetingSize" => 100u64,
            "cloudRecordingStorage" => 10u64,
            "maxMonitoredExtensionsPerUser" => 100u64,
            "maxExtensionNumberLength" => 6u64,
            "siteCodeLength" => 0u64,
            "shortExtensionNumberLength" => 4u64,
        }
    }

    /// `GET /account/~` and `GET /account/~/service-info`.
    fn account(&mut self, operator: &Ext, main_number: &str) -> (Obj, Obj) {
        let plan = self.plan();
        let billing = obj! {
            "id" => self.r.range(100_000, 1_000_000).to_string(),
            "name" => "Monthly-25.00-Advanced",
            "durationUnit" => "Month",
            "duration" => 1u64,
            "type" => "Regular",
            "includedPhoneLines" => 0u64,
        };
        let brand = obj! {
            "id" => "1210",
            "name" => "RingCentral",
            "homeCountry" => Self::country_ref(),
        };
        let u_brand = obj! { "id" => "1210", "name" => "RingCentral" };
        let operator_uri = operator.record.get("uri").cloned().unwrap_or(Json::Null);
        let account = obj! {
            "uri" => self.acc_uri.as_str(),
            "id" => self.account_id,
            "serviceInfo" => obj! {
                "uri" => format!("{}/service-info", self.acc_uri),
                "brand" => brand.clone(),
                "contractedCountry" => Self::country_ref(),
                "servicePlan" => plan.clone(),
                "targetServicePlan" => plan.clone(),
                "billingPlan" => billing.clone(),
                "uBrand" => u_brand.clone(),
            },
            "operator" => obj! {
                "uri" => operator_uri,
                "id" => operator.id,
                "extensionNumber" => operator.number.as_str(),
            },
            "mainNumber" => main_number,
            "status" => "Confirmed",
            "setupWizardState" => "Completed",
            "signupInfo" => obj! {
                "tosAccepted" => true,
                "signupState" => vec!["AccountCreated", "BillingEntered", "AccountConfirmed"],
                "marketingAccepted" => false,
            },
            "regionalSettings" => obj! {
                "homeCountry" => Self::country(),
                "timezone" => obj! {
                    "uri" => format!("{SERVER}/restapi/v1.0/dictionary/timezone/58"),
                    "id" => "58",
                    "name" => "US/Pacific",
                    "description" => "Pacific Time (US & Canada)",
                    "bias" => "-480",
                },
                "language" => obj! { "id" => "1033", "name" => "English (United States)", "localeCode" => "en-US" },
                "formattingLocale" => obj! { "id" => "1033", "localeCode" => "en-US", "name" => "English (United States)" },
                "timeFormat" => "12h",
            },
            "federated" => false,
            "cfid" => self.r.range(1_000_000_000, 10_000_000_000).to_string(),
            "limits" => Self::limits(),
        };
        let features: Vec<Json> = SERVICE_FEATURES
            .iter()
            .map(|&(name, enabled)| {
                Json::Object(obj! { "featureName" => name, "enabled" => enabled })
            })
            .collect();
        let service_info = obj! {
            "uri" => format!("{}/service-info", self.acc_uri),
            "servicePlanName" => "RingEX Advanced",
            "brand" => brand,
            "contractedCountry" => Self::country_ref(),
            "servicePlan" => plan.clone(),
            "targetServicePlan" => plan,
            "billingPlan" => billing,
            "serviceFeatures" => features,
            "limits" => Self::limits(),
            "package" => obj! { "version" => "1", "id" => self.r.range(1000, 10_000).to_string() },
            "uBrand" => u_brand,
        };
        (account, service_info)
    }

    fn phone_record(
        &mut self,
        number: String,
        payment: &str,
        kind: &str,
        usage: &str,
        features: Vec<&str>,
        ext: Option<&Ext>,
    ) -> Obj {
        let id = self.pn_id();
        let mut rec = obj! {
            "uri" => format!("{}/phone-number/{id}", self.acc_uri),
            "id" => id,
            "phoneNumber" => number,
            "paymentType" => payment,
            "type" => kind,
            "usageType" => usage,
            "status" => "Normal",
            "features" => features,
        };
        if let Some(e) = ext {
            rec.insert(
                "extension",
                obj! { "id" => e.id, "extensionNumber" => e.number.as_str() },
            );
        }
        rec
    }

    fn company_number(&mut self, payment: &str) -> String {
        let plus = self.r.chance(0.7);
        let area = self.city.2;
        self.number(Some(area), payment == "TollFree", plus)
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one linear recipe, easier to follow in one place"
    )]
    fn build(mut self, p: Params) -> Json {
        let n = p.extensions.max(1);
        let main_payment = pick(&mut self.r, &["Local", "TollFree"], "Local");
        let other_payment = if main_payment == "Local" {
            "TollFree"
        } else {
            "Local"
        };
        let kinds = self.kinds(n);
        let mut exts: Vec<Ext> = kinds
            .iter()
            .enumerate()
            .map(|(i, &k)| self.extension(i, k, (i == 0).then_some(p.admin)))
            .collect();

        // account phone numbers, each mapped to an extension by index
        let mut numbers: Vec<(Obj, Option<usize>)> = Vec::new();
        let main = self.company_number(main_payment);
        let main_digits = main.trim_start_matches('+').to_owned();
        let features = vec!["SmsSender", "CallerId", "MmsSender"];
        let rec = self.phone_record(
            main,
            main_payment,
            "VoiceFax",
            "MainCompanyNumber",
            features,
            exts.first(),
        );
        numbers.push((rec, Some(0)));
        // two additional numbers: one sharing the main's payment type
        for pay in [main_payment, other_payment] {
            let num = self.company_number(pay);
            let rec = self.phone_record(
                num,
                pay,
                "VoiceFax",
                "AdditionalCompanyNumber",
                vec!["CallerId", "SmsSender"],
                exts.first(),
            );
            numbers.push((rec, Some(0)));
        }
        for _ in 0..2 + n / 200 {
            let pay = pick(&mut self.r, &["Local", "Local", "TollFree"], "Local");
            let num = self.company_number(pay);
            let mapped = self.r.chance(0.5).then_some(0);
            let rec = self.phone_record(
                num,
                pay,
                "VoiceFax",
                "CompanyNumber",
                vec!["CallerId"],
                mapped.and_then(|i| exts.get(i)),
            );
            numbers.push((rec, mapped));
        }
        let fax = self.company_number("Local");
        let rec = self.phone_record(
            fax,
            "Local",
            "FaxOnly",
            "CompanyFaxNumber",
            vec!["CallerId"],
            None,
        );
        numbers.push((rec, None));
        // direct numbers: ~1.2 per person, mapped to their extension
        for i in 0..exts.len() {
            let kind = exts.get(i).map_or("", |e| e.kind);
            let k = match kind {
                "User" | "DigitalUser" => self.r.weighted(&[5, 70, 25]),
                "FaxUser" | "Department" | "IvrMenu" => usize::from(self.r.chance(0.5)),
                _ => 0,
            };
            for _ in 0..k {
                let num = self.local(0.8);
                let features = if self.r.chance(0.6) {
                    vec!["SmsSender", "CallerId"]
                } else {
                    vec!["CallerId"]
                };
                let ntype = if kind == "FaxUser" {
                    "FaxOnly"
                } else {
                    "VoiceFax"
                };
                let rec =
                    self.phone_record(num, "Local", ntype, "DirectNumber", features, exts.get(i));
                numbers.push((rec, Some(i)));
            }
        }
        // numbers forwarded in from another carrier
        for _ in 0..=n / 500 {
            let num = self.number(None, false, true);
            let target = self.r.index(exts.len());
            let rec = self.phone_record(
                num,
                "External",
                "VoiceOnly",
                "ForwardedNumber",
                vec!["CallerId"],
                exts.get(target),
            );
            numbers.push((rec, Some(target)));
        }
        // a few unassigned numbers in the account's pool (`NumberPool`:
        // the specification's usage type for them)
        for _ in 0..=n / 1000 {
            let num = self.local(1.0);
            let rec = self.phone_record(num, "Local", "VoiceFax", "NumberPool", vec![], None);
            numbers.push((rec, None));
        }

        // per-extension lists
        let mut errors = Vec::new();
        for (idx, e) in exts.iter_mut().enumerate() {
            let own: Vec<Json> = numbers
                .iter()
                .filter(|(_, m)| *m == Some(idx))
                .map(|(rec, _)| {
                    let mut rec = rec.clone();
                    rec.remove("extension");
                    Json::Object(rec)
                })
                .collect();
            e.record.insert("phoneNumbers", own);
        }
        for (idx, e) in exts.iter_mut().enumerate() {
            let refused = |code: &str, message: &str| {
                Json::Object(obj! {
                    "pointer" => format!("/extensions/{idx}/forwardingNumbers"),
                    "request" => format!("GET /restapi/v1.0/account/~/extension/{}/forwarding-number", e.id),
                    "status" => 403u64,
                    "errorCode" => code,
                    "message" => message,
                })
            };
            if !FORWARDING_KINDS.contains(&e.kind) {
                // The type has no call forwarding: the sandbox must answer
                // CMN-403, which an absent list alone would not say.
                errors.push(refused(
                    "CMN-403",
                    "The feature is not available for this extension type",
                ));
                continue;
            }
            if self.r.chance(FORWARDING_ERROR_RATE) {
                errors.push(refused(
                    "CMN-401",
                    "In order to call this API endpoint, application needs to have [EditExtensions] permission",
                ));
                continue;
            }
            let count = self.forwarding_count();
            let uri = e
                .record
                .get("uri")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_owned();
            let list = self.forwarding(&uri, count);
            e.record.insert("forwardingNumbers", list);
        }

        let operator = exts.first().map_or_else(
            || Ext {
                id: 0,
                number: String::new(),
                kind: "DigitalUser",
                record: Obj::new(),
            },
            |e| Ext {
                id: e.id,
                number: e.number.clone(),
                kind: e.kind,
                record: e.record.clone(),
            },
        );
        let (account, service_info) = self.account(&operator, &main_digits);
        let viewer = obj! {
            "accountId" => self.account_id.to_string(),
            "extensionId" => operator.id.to_string(),
            "admin" => p.admin,
            "scope" => "ReadAccounts",
        };
        Json::Object(obj! {
            "snapshotVersion" => 1u64,
            "capturedAt" => "2026-11-28T06:00:00Z",
            "source" => obj! {
                "server" => SERVER,
                "generator" => format!("rcaudit-sandbox (extensions {n}, seed {})", p.seed),
                "viewer" => viewer,
            },
            "account" => account,
            "serviceInfo" => service_info,
            "phoneNumbers" => numbers.into_iter().map(|(r, _)| Json::Object(r)).collect::<Vec<_>>(),
            "extensions" => exts.into_iter().map(|e| Json::Object(e.record)).collect::<Vec<_>>(),
            "errors" => errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen_text(extensions: usize, seed: u64) -> String {
        serde_json::to_string(&snapshot(Params {
            extensions,
            seed,
            admin: true,
        }))
        .unwrap()
    }

    /// Every planted range holds what it claims, for any subscriber digits.
    #[test]
    fn costly_and_foreign_numbers_are_what_they_claim() {
        use rcaudit_phone::{NumberType, classify};
        let mut g = Gen::new(7);
        for _ in 0..500 {
            let costly = g.costly();
            let found = classify(&costly).unwrap();
            assert!(
                matches!(found.kind, NumberType::PremiumRate | NumberType::SharedCost),
                "{costly}: {found:?}"
            );
            let abroad = g.abroad();
            let found = classify(&abroad).unwrap();
            assert!(
                found.kind == NumberType::Mobile && found.region.is_some_and(|r| r != "US"),
                "{abroad}: {found:?}"
            );
        }
        // A 2,000-extension account holds a few of each.
        let doc = snapshot(Params {
            extensions: 2000,
            seed: 3,
            admin: true,
        });
        let (mut costly, mut abroad) = (0, 0);
        for ext in doc.get("extensions").and_then(Json::as_array).unwrap() {
            for f in ext
                .get("forwardingNumbers")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let n = classify(f.get("phoneNumber").and_then(Json::as_str).unwrap()).unwrap();
                costly += usize::from(matches!(
                    n.kind,
                    NumberType::PremiumRate | NumberType::SharedCost
                ));
                abroad += usize::from(n.region.is_some_and(|r| r != "US"));
            }
        }
        assert!((1..30).contains(&costly), "{costly}");
        assert!((10..150).contains(&abroad), "{abroad}");
    }

    #[test]
    fn same_arguments_same_document() {
        assert_eq!(gen_text(50, 1), gen_text(50, 1));
        assert_ne!(gen_text(50, 1), gen_text(50, 2));
    }

    #[test]
    fn shapes_and_counts() {
        let doc = snapshot(Params {
            extensions: 300,
            seed: 9,
            admin: true,
        });
        let exts = doc.get("extensions").and_then(Json::as_array).unwrap();
        assert_eq!(exts.len(), 300);
        let numbers = doc.get("phoneNumbers").and_then(Json::as_array).unwrap();
        let usage = |u: &str| {
            numbers
                .iter()
                .filter(|n| n.get("usageType").and_then(Json::as_str) == Some(u))
                .count()
        };
        assert_eq!(usage("MainCompanyNumber"), 1);
        assert_eq!(usage("AdditionalCompanyNumber"), 2);
        assert_eq!(usage("CompanyFaxNumber"), 1);
        let people = exts
            .iter()
            .filter(|e| {
                matches!(
                    e.get("type").and_then(Json::as_str),
                    Some("User" | "DigitalUser")
                )
            })
            .count();
        let direct = usage("DirectNumber");
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let per_person = direct as f64 / people as f64;
        assert!((1.0..1.5).contains(&per_person), "{per_person}");
        let first = exts.first().unwrap();
        assert_eq!(
            first.get("extensionNumber").and_then(Json::as_str),
            Some("101")
        );
        assert!(first.get("phoneNumbers").is_some());
        let errors = doc.get("errors").and_then(Json::as_array).unwrap();
        let error_code = |pointer: &str| {
            errors
                .iter()
                .find(|e| e.get("pointer").and_then(Json::as_str) == Some(pointer))
                .and_then(|e| e.get("errorCode").and_then(Json::as_str))
        };
        for (i, e) in exts.iter().enumerate() {
            let pointer = format!("/extensions/{i}/forwardingNumbers");
            if let Some(f) = e.get("forwardingNumbers").and_then(Json::as_array) {
                assert!(f.len() <= 12);
                for rec in f {
                    assert!(matches!(rec.get("id"), Some(Json::String(_))));
                    assert!(rec.get("uri").is_some());
                }
                assert_eq!(error_code(&pointer), None);
            } else {
                // Absent only with an `errors` entry saying why: CMN-403
                // for kinds without call forwarding.
                let kind = e.get("type").and_then(Json::as_str).unwrap();
                let want = if FORWARDING_KINDS.contains(&kind) {
                    "CMN-401"
                } else {
                    "CMN-403"
                };
                assert_eq!(error_code(&pointer), Some(want), "{pointer} ({kind})");
            }
        }
    }
}
