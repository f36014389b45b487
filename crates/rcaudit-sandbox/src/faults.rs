//! Injected faults, decided per request from `--fault-seed` and the
//! request's sequence number, so a run with the same requests in the same
//! order meets the same faults.
//!
//! Besides failures, drops, delays and missing rate headers, a share of list
//! answers can leave out `navigation`, which the specification makes
//! optional on every list but the extension phone-number list
//! (`docs/api-facts.md`, Paging): a fetcher must then page by `paging` or by the page
//! size alone.

use crate::rng::{Rng, mix};

/// Fault shares and parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultConfig {
    /// Share answered 500 or 503.
    pub fail_rate: f64,
    /// Share whose connection is closed without a response.
    pub drop_rate: f64,
    /// Share delayed by `slow_ms`.
    pub slow_rate: f64,
    /// Delay of slow requests, in milliseconds.
    pub slow_ms: u64,
    /// Share of responses without the `X-Rate-Limit-*` headers.
    pub no_rate_headers_rate: f64,
    /// Share of list answers without `navigation` (`paging` and `records`
    /// kept), on the lists where the specification does not require it:
    /// the extension list, the account phone-number list and the
    /// forwarding-number list. The extension phone-number list always has it.
    pub no_navigation_rate: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            fail_rate: 0.0,
            drop_rate: 0.0,
            slow_rate: 0.0,
            slow_ms: 2000,
            no_rate_headers_rate: 0.0,
            no_navigation_rate: 0.0,
            seed: 0,
        }
    }
}

/// What happens to a request instead of (or besides) normal processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Normal processing.
    None,
    /// 500 with an error body.
    Fail500,
    /// 503 with `Retry-After: 1` and an error body.
    Fail503,
    /// The connection is closed without a response.
    Drop,
}

/// The faults of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    /// Delayed by `slow_ms` first (any action may follow).
    pub slow: bool,
    /// Failure or drop; drop and failure exclude each other.
    pub action: Action,
    /// The response omits the `X-Rate-Limit-*` headers.
    pub no_rate_headers: bool,
    /// A list answer omits `navigation` (where the specification allows it).
    pub no_navigation: bool,
}

impl FaultConfig {
    /// Whether the shares are within 0..=1 and drop + fail <= 1.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("--fail-rate", self.fail_rate),
            ("--drop-rate", self.drop_rate),
            ("--slow-rate", self.slow_rate),
            ("--no-rate-headers-rate", self.no_rate_headers_rate),
            ("--no-navigation-rate", self.no_navigation_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be within 0..1, not {v}"));
            }
        }
        if self.fail_rate + self.drop_rate > 1.0 {
            return Err(String::from(
                "--fail-rate plus --drop-rate must not exceed 1",
            ));
        }
        Ok(())
    }

    /// The fate of request number `seq` (0-based, in arrival order).
    pub fn decide(&self, seq: u64) -> Fate {
        let mut r = Rng::new(mix(self.seed) ^ mix(seq.wrapping_add(0x5EED)));
        let u = r.float();
        let half = r.chance(0.5);
        let action = if u < self.drop_rate {
            Action::Drop
        } else if u < self.drop_rate + self.fail_rate {
            if half {
                Action::Fail500
            } else {
                Action::Fail503
            }
        } else {
            Action::None
        };
        Fate {
            slow: r.chance(self.slow_rate),
            action,
            no_rate_headers: r.chance(self.no_rate_headers_rate),
            // Drawn last, so the faults above are the same as without it.
            no_navigation: r.chance(self.no_navigation_rate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_match_rates() {
        let f = FaultConfig {
            fail_rate: 0.1,
            drop_rate: 0.05,
            slow_rate: 0.2,
            no_rate_headers_rate: 0.3,
            no_navigation_rate: 0.4,
            ..FaultConfig::default()
        };
        let n = 20_000u32;
        let fates: Vec<Fate> = (0..u64::from(n)).map(|i| f.decide(i)).collect();
        let share = |p: &dyn Fn(&Fate) -> bool| {
            f64::from(u32::try_from(fates.iter().filter(|x| p(x)).count()).unwrap()) / f64::from(n)
        };
        let close = |got: f64, want: f64| (got - want).abs() < 0.01;
        assert!(close(share(&|x| x.action == Action::Drop), 0.05));
        assert!(close(share(&|x| x.action == Action::Fail500), 0.05));
        assert!(close(share(&|x| x.action == Action::Fail503), 0.05));
        assert!(close(share(&|x| x.slow), 0.2));
        assert!(close(share(&|x| x.no_rate_headers), 0.3));
        assert!(close(share(&|x| x.no_navigation), 0.4));
    }

    #[test]
    fn deterministic_and_seeded() {
        let a = FaultConfig {
            fail_rate: 0.5,
            ..FaultConfig::default()
        };
        let b = FaultConfig { seed: 1, ..a };
        let run = |f: &FaultConfig| (0..64).map(|i| f.decide(i).action).collect::<Vec<_>>();
        assert_eq!(run(&a), run(&a));
        assert_ne!(run(&a), run(&b));
    }

    #[test]
    fn navigation_share_leaves_other_faults_alone() {
        let base = FaultConfig {
            fail_rate: 0.2,
            drop_rate: 0.1,
            slow_rate: 0.3,
            no_rate_headers_rate: 0.4,
            seed: 5,
            ..FaultConfig::default()
        };
        let with = FaultConfig {
            no_navigation_rate: 0.5,
            ..base
        };
        for i in 0..500 {
            let (a, b) = (base.decide(i), with.decide(i));
            assert_eq!(
                (a.slow, a.action, a.no_rate_headers),
                (b.slow, b.action, b.no_rate_headers)
            );
            assert!(!a.no_navigation);
        }
        assert!((0..500).any(|i| with.decide(i).no_navigation));
        let bad = FaultConfig {
            no_navigation_rate: 1.5,
            ..base
        };
        assert!(bad.validate().unwrap_err().contains("--no-navigation-rate"));
    }

    #[test]
    fn zero_rates_never_fault() {
        let f = FaultConfig::default();
        assert!((0..1000).all(|i| f.decide(i)
            == Fate {
                slow: false,
                action: Action::None,
                no_rate_headers: false,
                no_navigation: false,
            }));
    }
}
