//! How often a visitor may make the page connect somewhere: a token
//! bucket per visitor (an IPv4 address, or an IPv6 /64: what one visitor
//! usually holds), kept in memory. Checks (discovery, the folder list, a
//! sign-in started) and test messages each have their own.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// At most `count` requests per `per`, refilled evenly (a visitor who has
/// waited `per` has the whole `count` again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many.
    pub count: u32,
    /// Over how long.
    pub per: Duration,
}

impl Rate {
    /// `count` per minute.
    #[must_use]
    pub fn per_minute(count: u32) -> Rate {
        Rate {
            count,
            per: Duration::from_secs(60),
        }
    }

    /// `count` per hour.
    #[must_use]
    pub fn per_hour(count: u32) -> Rate {
        Rate {
            count,
            per: Duration::from_secs(3600),
        }
    }
}

/// What each visitor may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Checks that connect somewhere: a lookup the catalog cannot answer
    /// (discovery), a folder list, a sign-in started (default 10 a minute).
    pub checks: Rate,
    /// Test messages (default 3 an hour).
    pub tests: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            checks: Rate::per_minute(10),
            tests: Rate::per_hour(3),
        }
    }
}

/// Visitors remembered at most; beyond, those whose bucket is full again
/// are forgotten, and if none is, newcomers share one bucket.
const MAX_VISITORS: usize = 65_536;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One [`Rate`] for every visitor.
pub(crate) struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    pub(crate) fn new(rate: Rate) -> Limiter {
        Limiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `visitor`'s bucket; when it is empty, how
    /// long until there is one again.
    pub(crate) fn take(&self, visitor: IpAddr) -> Result<(), Duration> {
        self.take_at(visitor, Instant::now())
    }

    fn take_at(&self, visitor: IpAddr, now: Instant) -> Result<(), Duration> {
        let count = f64::from(self.rate.count);
        if self.rate.count == 0 {
            return Err(self.rate.per);
        }
        let per_token = self.rate.per.as_secs_f64() / count;
        let refill = |b: &Bucket| {
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / per_token).min(count)
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut key = visitor_key(visitor);
        if !buckets.contains_key(&key) && buckets.len() >= MAX_VISITORS {
            buckets.retain(|_, b| refill(b) < count);
            if buckets.len() >= MAX_VISITORS {
                key = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: count,
            at: now,
        });
        bucket.tokens = refill(bucket);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) * per_token))
        }
    }
}

/// The address a visitor is known by: IPv4 as is, IPv6 by its /64.
fn visitor_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & (u128::MAX << 64))),
        v4 @ IpAddr::V4(_) => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_visitor_gets_the_rate_then_waits_for_one_token() {
        let limiter = Limiter::new(Rate::per_minute(3));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take_at(ip("203.0.113.7"), start), Ok(()));
        }
        let wait = limiter.take_at(ip("203.0.113.7"), start).unwrap_err();
        assert_eq!(wait.as_secs(), 20, "one token every 20 s: {wait:?}");
        // Another visitor has its own bucket.
        assert_eq!(limiter.take_at(ip("198.51.100.1"), start), Ok(()));
        // 20 s later, one more; never more than the rate after a long wait.
        let later = start + Duration::from_secs(20);
        assert_eq!(limiter.take_at(ip("203.0.113.7"), later), Ok(()));
        assert!(limiter.take_at(ip("203.0.113.7"), later).is_err());
        let much_later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take_at(ip("203.0.113.7"), much_later), Ok(()));
        }
        assert!(limiter.take_at(ip("203.0.113.7"), much_later).is_err());
    }

    #[test]
    fn an_ipv6_visitor_is_its_64_and_a_mapped_ipv4_is_the_ipv4() {
        let limiter = Limiter::new(Rate::per_hour(1));
        let now = Instant::now();
        assert_eq!(limiter.take_at(ip("2001:db8:1:2::1"), now), Ok(()));
        assert!(limiter.take_at(ip("2001:db8:1:2:ffff::9"), now).is_err());
        assert_eq!(limiter.take_at(ip("2001:db8:1:3::1"), now), Ok(()));
        assert_eq!(limiter.take_at(ip("192.0.2.1"), now), Ok(()));
        assert!(limiter.take_at(ip("::ffff:192.0.2.1"), now).is_err());
    }

    #[test]
    fn a_zero_rate_allows_nothing() {
        let limiter = Limiter::new(Rate::per_hour(0));
        assert_eq!(
            limiter.take(ip("192.0.2.1")),
            Err(Duration::from_secs(3600))
        );
    }
}
