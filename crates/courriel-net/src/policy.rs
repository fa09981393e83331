//! Where connections may go: [`Destinations`]. An application that
//! connects wherever its users say (a settings page: the host is typed by
//! a visitor) must not become a way into its own network or a port scanner:
//! with [`Destinations::PublicOnly`], an address is refused when it is
//! loopback, private, link-local, a cloud metadata service, multicast,
//! unspecified, broadcast, carrier-grade NAT, documentation or otherwise
//! reserved, in IPv4, IPv6, or IPv6 forms that carry an IPv4 address
//! (`::ffff:127.0.0.1`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), unless the
//! deployment allows it. The check is made on the address connected to
//! (see [`crate::tcp`]): the name is resolved once, and never again.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Which addresses connections may go to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Destinations {
    /// Any address (the default): the settings come from the application
    /// or its operator, who may name a server on their own network.
    #[default]
    AnyAddress,
    /// Public addresses only, plus the ranges in `allow`. A cloud metadata
    /// address is allowed only by an entry that is that one address (an
    /// allowed `169.254.0.0/16` does not open `169.254.169.254`).
    PublicOnly {
        /// Ranges allowed although they are not public (`127.0.0.0/8` for
        /// test servers, an office network's mail server).
        allow: Vec<IpRange>,
    },
}

impl Destinations {
    /// Public addresses only, nothing else allowed.
    #[must_use]
    pub fn public_only() -> Destinations {
        Destinations::PublicOnly { allow: Vec::new() }
    }

    /// Also allows `range` (with [`Destinations::PublicOnly`]; any address
    /// is allowed already otherwise).
    #[must_use]
    pub fn allow(mut self, range: IpRange) -> Destinations {
        if let Destinations::PublicOnly { allow } = &mut self {
            allow.push(range);
        }
        self
    }

    /// `Ok` when `ip` may be connected to; else what kind of address it is.
    pub fn check(&self, ip: IpAddr) -> Result<(), Special> {
        let Destinations::PublicOnly { allow } = self else {
            return Ok(());
        };
        let Some(special) = classify(ip) else {
            return Ok(());
        };
        let allowed = allow.iter().any(|range| {
            range.contains(ip) && (special != Special::CloudMetadata || range.is_single())
        });
        if allowed { Ok(()) } else { Err(special) }
    }
}

/// What kind of non-public address an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Special {
    /// `0.0.0.0/8` ("this network"), `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique local
    /// `fc00::/7`, the old site-local `fec0::/10`.
    Private,
    /// Carrier-grade NAT, `100.64.0.0/10`.
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// A cloud provider's metadata service (`169.254.169.254`,
    /// `169.254.170.2`, `100.100.100.200`, `fd00:ec2::254`): it hands out
    /// the machine's credentials.
    CloudMetadata,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`,
    /// `3fff::/20`.
    Documentation,
    /// Any other special-purpose range: `192.0.0/24`, benchmarking
    /// `198.18/15`, `240/4`, IPv6 outside `2000::/3`, `2001::/23` (Teredo
    /// and other IETF assignments), IPv4-compatible `::a.b.c.d`.
    Reserved,
}

impl Special {
    /// A stable name (`loopback`, `cloud-metadata`...), also what the
    /// failure messages select their wording by.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Special::Unspecified => "unspecified",
            Special::Loopback => "loopback",
            Special::Private => "private",
            Special::SharedAddressSpace => "shared",
            Special::LinkLocal => "link-local",
            Special::CloudMetadata => "cloud-metadata",
            Special::Multicast => "multicast",
            Special::Broadcast => "broadcast",
            Special::Documentation => "documentation",
            Special::Reserved => "reserved",
        }
    }
}

impl fmt::Display for Special {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
];
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)];

/// What kind of non-public address `ip` is; `None` when it is public.
#[must_use]
pub fn classify(ip: IpAddr) -> Option<Special> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Special> {
    let [a, b, c, _] = ip.octets();
    Some(if METADATA_V4.contains(&ip) {
        Special::CloudMetadata
    } else if a == 0 {
        Special::Unspecified
    } else if a == 127 {
        Special::Loopback
    } else if a == 10 || (a == 172 && b & 0xf0 == 16) || (a == 192 && b == 168) {
        Special::Private
    } else if a == 100 && b & 0xc0 == 64 {
        Special::SharedAddressSpace
    } else if a == 169 && b == 254 {
        Special::LinkLocal
    } else if ip == Ipv4Addr::BROADCAST {
        Special::Broadcast
    } else if matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113)) {
        Special::Documentation
    } else if a & 0xf0 == 224 {
        Special::Multicast
    } else if a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && b & 0xfe == 18) {
        Special::Reserved
    } else {
        return None;
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<Special> {
    let s = ip.segments();
    let embedded =
        |high: u16, low: u16| Ipv4Addr::from_bits(u32::from(high) << 16 | u32::from(low));
    // Forms that reach an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return classify_v4(embedded(s[1], s[2]));
    }
    Some(if METADATA_V6.contains(&ip) {
        Special::CloudMetadata
    } else if ip.is_unspecified() {
        Special::Unspecified
    } else if ip.is_loopback() {
        Special::Loopback
    } else if s[0] & 0xff00 == 0xff00 {
        Special::Multicast
    } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        Special::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        Special::LinkLocal
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000) {
        Special::Documentation
    } else if (s[0] == 0x2001 && s[1] < 0x0200) || s[0] & 0xe000 != 0x2000 {
        Special::Reserved
    } else {
        return None;
    })
}

/// One address, or a network in CIDR notation (`127.0.0.0/8`, `::1`,
/// `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// The network of `address` with `prefix` bits (the rest is ignored);
    /// `None` when `prefix` is longer than the address.
    #[must_use]
    pub fn new(address: IpAddr, prefix: u8) -> Option<IpRange> {
        let network = match address {
            IpAddr::V4(v4) if prefix <= 32 => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & mask))
            }
            IpAddr::V6(v6) if prefix <= 128 => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask))
            }
            _ => return None,
        };
        Some(IpRange { network, prefix })
    }

    /// Whether `ip` is in the range; an IPv4-mapped IPv6 address
    /// (`::ffff:127.0.0.1`) counts as its IPv4 address.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        IpRange::new(ip.to_canonical(), self.prefix).is_some_and(|r| r.network == self.network)
    }

    /// Whether the range is one address.
    #[must_use]
    pub fn is_single(&self) -> bool {
        match self.network {
            IpAddr::V4(_) => self.prefix == 32,
            IpAddr::V6(_) => self.prefix == 128,
        }
    }
}

impl From<IpAddr> for IpRange {
    fn from(ip: IpAddr) -> IpRange {
        let ip = ip.to_canonical();
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        IpRange {
            network: ip,
            prefix,
        }
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> Result<IpRange, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network (127.0.0.0/8, ::1)"))?;
        let Some(prefix) = prefix else {
            return Ok(IpRange::from(address));
        };
        let bad = || format!("`{text}`: the prefix length is not valid for the address");
        let prefix = prefix.parse::<u8>().map_err(|_| bad())?;
        // An IPv4-mapped network (`::ffff:10.0.0.0/104`) is the IPv4 one.
        let (address, prefix) = match address.to_canonical() {
            IpAddr::V4(v4) if address.is_ipv6() && prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
            _ => (address, prefix),
        };
        IpRange::new(address, prefix).ok_or_else(bad)
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn kind(text: &str) -> Option<Special> {
        classify(ip(text))
    }

    #[test]
    fn each_special_ipv4_range_is_told_apart() {
        for (address, expected) in [
            ("0.0.0.0", Special::Unspecified),
            ("0.1.2.3", Special::Unspecified),
            ("127.0.0.1", Special::Loopback),
            ("127.255.255.254", Special::Loopback),
            ("10.0.0.1", Special::Private),
            ("172.16.0.1", Special::Private),
            ("172.31.255.255", Special::Private),
            ("192.168.1.1", Special::Private),
            ("100.64.0.1", Special::SharedAddressSpace),
            ("100.127.255.255", Special::SharedAddressSpace),
            ("169.254.0.1", Special::LinkLocal),
            ("169.254.169.254", Special::CloudMetadata),
            ("169.254.170.2", Special::CloudMetadata),
            ("100.100.100.200", Special::CloudMetadata),
            ("224.0.0.1", Special::Multicast),
            ("239.255.255.250", Special::Multicast),
            ("255.255.255.255", Special::Broadcast),
            ("192.0.2.1", Special::Documentation),
            ("198.51.100.7", Special::Documentation),
            ("203.0.113.9", Special::Documentation),
            ("192.0.0.8", Special::Reserved),
            ("198.18.0.1", Special::Reserved),
            ("198.19.255.255", Special::Reserved),
            ("240.0.0.1", Special::Reserved),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
        // Just outside those ranges: public.
        for address in [
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "192.0.1.1",
            "192.0.3.1",
            "223.255.255.255",
            "193.252.22.80",
        ] {
            assert_eq!(kind(address), None, "{address}");
        }
    }

    #[test]
    fn each_special_ipv6_range_is_told_apart() {
        for (address, expected) in [
            ("::", Special::Unspecified),
            ("::1", Special::Loopback),
            ("fc00::1", Special::Private),
            ("fd12:3456::1", Special::Private),
            ("fec0::1", Special::Private),
            ("fe80::1", Special::LinkLocal),
            ("febf::1", Special::LinkLocal),
            ("fd00:ec2::254", Special::CloudMetadata),
            ("ff02::1", Special::Multicast),
            ("2001:db8::25", Special::Documentation),
            ("3fff::1", Special::Documentation),
            ("2001::1", Special::Reserved),
            ("2001:2::1", Special::Reserved),
            ("100::1", Special::Reserved),
            ("64:ff9b:1::1", Special::Reserved),
            ("::2", Special::Reserved),
            ("4000::1", Special::Reserved),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
        for address in [
            "2a00:1450:4007:80e::201a",
            "2606:4700::1111",
            "2001:200::1",
            "3ffe::1",
            "3fff:1000::1",
        ] {
            assert_eq!(kind(address), None, "{address}");
        }
    }

    #[test]
    fn ipv6_forms_of_an_ipv4_address_are_judged_by_it() {
        for (address, expected) in [
            ("::ffff:127.0.0.1", Some(Special::Loopback)),
            ("::ffff:10.1.2.3", Some(Special::Private)),
            ("::ffff:169.254.169.254", Some(Special::CloudMetadata)),
            ("::ffff:0.0.0.0", Some(Special::Unspecified)),
            ("::ffff:1.1.1.1", None),
            // NAT64 (RFC 6052) and 6to4 (RFC 3056).
            ("64:ff9b::7f00:1", Some(Special::Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(Special::CloudMetadata)),
            ("64:ff9b::101:101", None),
            ("2002:c0a8:101::1", Some(Special::Private)),
            ("2002:7f00:1::", Some(Special::Loopback)),
            ("2002:101:101::1", None),
            // IPv4-compatible (deprecated): never connected to.
            ("::127.0.0.1", Some(Special::Reserved)),
        ] {
            assert_eq!(kind(address), expected, "{address}");
        }
    }

    #[test]
    fn any_address_allows_everything() {
        let any = Destinations::default();
        for address in ["127.0.0.1", "169.254.169.254", "::1", "10.0.0.1"] {
            assert_eq!(any.check(ip(address)), Ok(()), "{address}");
        }
        assert_eq!(any.clone().allow("10.0.0.0/8".parse().unwrap()), any);
    }

    #[test]
    fn public_only_refuses_unless_allowed() {
        let public = Destinations::public_only();
        assert_eq!(public.check(ip("1.1.1.1")), Ok(()));
        assert_eq!(public.check(ip("2606:4700::1111")), Ok(()));
        assert_eq!(public.check(ip("127.0.0.1")), Err(Special::Loopback));
        assert_eq!(public.check(ip("::ffff:127.0.0.1")), Err(Special::Loopback));
        assert_eq!(public.check(ip("fd00::1")), Err(Special::Private));

        let tests = Destinations::public_only()
            .allow("127.0.0.0/8".parse().unwrap())
            .allow("::1".parse().unwrap());
        assert_eq!(tests.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(tests.check(ip("127.1.2.3")), Ok(()));
        assert_eq!(tests.check(ip("::ffff:127.0.0.1")), Ok(()), "mapped");
        assert_eq!(tests.check(ip("::1")), Ok(()));
        assert_eq!(tests.check(ip("10.0.0.1")), Err(Special::Private));
        assert_eq!(tests.check(ip("1.1.1.1")), Ok(()));
    }

    #[test]
    fn a_metadata_address_is_allowed_only_by_itself() {
        let wide = Destinations::public_only()
            .allow("169.254.0.0/16".parse().unwrap())
            .allow("fc00::/7".parse().unwrap())
            .allow("100.64.0.0/10".parse().unwrap());
        assert_eq!(wide.check(ip("169.254.1.1")), Ok(()));
        assert_eq!(
            wide.check(ip("169.254.169.254")),
            Err(Special::CloudMetadata)
        );
        assert_eq!(wide.check(ip("fd00:ec2::254")), Err(Special::CloudMetadata));
        assert_eq!(
            wide.check(ip("100.100.100.200")),
            Err(Special::CloudMetadata)
        );
        let exact = wide.allow("169.254.169.254".parse().unwrap());
        assert_eq!(exact.check(ip("169.254.169.254")), Ok(()));
    }

    #[test]
    fn ranges_parse_and_print() {
        let range: IpRange = "127.0.0.1/8".parse().unwrap();
        assert_eq!(range.to_string(), "127.0.0.0/8");
        assert!(!range.is_single());
        assert_eq!("::1".parse::<IpRange>().unwrap().to_string(), "::1/128");
        assert!("::1".parse::<IpRange>().unwrap().is_single());
        assert_eq!(
            "::ffff:10.0.0.0/104"
                .parse::<IpRange>()
                .unwrap()
                .to_string(),
            "10.0.0.0/8",
            "an IPv4-mapped network is the IPv4 one"
        );
        assert_eq!(
            "0.0.0.0/0".parse::<IpRange>().unwrap().to_string(),
            "0.0.0.0/0"
        );
        assert!(
            "0.0.0.0/0"
                .parse::<IpRange>()
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!(!"0.0.0.0/0".parse::<IpRange>().unwrap().contains(ip("::1")));
        for bad in ["127.0.0.0/33", "::1/129", "localhost", "10.0.0.0/x", ""] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }
}
