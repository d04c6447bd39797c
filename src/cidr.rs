//! IPv4 CIDR arithmetic: parsing, containment, overlap and the subnet plan hagen
//! carves out of a VPC when the spec gives no explicit subnets.

use ipnet::Ipv4Net;

/// Parses `a.b.c.d/n`, insisting on the network address (no host bits set), because
/// AWS rejects `10.0.0.1/16` and a reviewer should see exactly what is created.
pub fn parse(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 CIDR block like 10.0.0.0/16"))?;
    if net.network() != net.addr() {
        return Err(format!(
            "`{text}` has host bits set; the network address is `{}`",
            net.trunc()
        ));
    }
    Ok(net)
}

pub fn contains(outer: &Ipv4Net, inner: &Ipv4Net) -> bool {
    outer.contains(inner)
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(b) || b.contains(a)
}

/// The largest VPC prefix hagen can carve automatically: app subnets get `prefix + 4`,
/// public and database subnets `prefix + 6`, and AWS's smallest subnet is a /28.
pub const MAX_AUTO_PREFIX: u8 = 22;

/// Subnets per tier for `zones` availability zones (at most 6), carved from `vpc`:
/// app subnets from the first half (`/p+4`, one sixteenth each), public subnets from the
/// third quarter and database subnets from the fourth (`/p+6`, one sixty-fourth each).
/// Deterministic, never overlapping, always inside the VPC.
pub fn plan(vpc: &Ipv4Net, zones: usize) -> Result<SubnetPlan, String> {
    if vpc.prefix_len() > MAX_AUTO_PREFIX {
        return Err(format!(
            "a /{} VPC is too small to carve three subnets per zone; use /{} or larger, or list `network.subnets` explicitly",
            vpc.prefix_len(),
            MAX_AUTO_PREFIX
        ));
    }
    if zones > 6 {
        return Err(format!("at most 6 availability zones, got {zones}"));
    }
    let nth = |extra: u8, index: u32| -> Ipv4Net {
        let prefix = vpc.prefix_len() + extra;
        let size = 1u32 << (32 - prefix);
        let base = u32::from(vpc.network()) + index * size;
        Ipv4Net::new(base.into(), prefix).expect("prefix is at most 28")
    };
    let zones = zones as u32;
    Ok(SubnetPlan {
        app: (0..zones).map(|i| nth(4, i)).collect(),
        public: (0..zones).map(|i| nth(6, 32 + i)).collect(),
        database: (0..zones).map(|i| nth(6, 48 + i)).collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetPlan {
    pub public: Vec<Ipv4Net>,
    pub app: Vec<Ipv4Net>,
    pub database: Vec<Ipv4Net>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        parse(s).unwrap()
    }

    #[test]
    fn plan_for_a_slash_16_is_readable() {
        let plan = plan(&net("10.0.0.0/16"), 3).unwrap();
        let show = |v: &[Ipv4Net]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            show(&plan.app),
            ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
        );
        assert_eq!(
            show(&plan.public),
            ["10.0.128.0/22", "10.0.132.0/22", "10.0.136.0/22"]
        );
        assert_eq!(
            show(&plan.database),
            ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"]
        );
    }

    #[test]
    fn smallest_vpc_gives_slash_28_subnets() {
        let plan = plan(&net("192.168.4.0/22"), 6).unwrap();
        assert!(plan.public.iter().all(|n| n.prefix_len() == 28));
        assert!(plan.app.iter().all(|n| n.prefix_len() == 26));
    }

    #[test]
    fn too_small_vpc_is_refused() {
        assert!(
            plan(&net("10.0.0.0/24"), 2)
                .unwrap_err()
                .contains("too small")
        );
    }

    #[test]
    fn host_bits_are_refused() {
        assert!(parse("10.0.0.1/16").unwrap_err().contains("10.0.0.0/16"));
        assert!(parse("10.0.0.0/33").is_err());
        assert!(parse("banana").is_err());
    }

    #[test]
    fn overlap_and_containment() {
        assert!(overlaps(&net("10.0.0.0/16"), &net("10.0.4.0/24")));
        assert!(!overlaps(&net("10.0.0.0/24"), &net("10.0.1.0/24")));
        assert!(contains(&net("10.0.0.0/16"), &net("10.0.255.0/24")));
        assert!(!contains(&net("10.0.0.0/16"), &net("10.1.0.0/24")));
    }
}
