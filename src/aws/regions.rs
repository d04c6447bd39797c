//! The AWS regions hagen deploys to: ONE table, the only place to update when AWS opens a
//! region or a zone.
//!
//! Sources (checked 2025-11; update the date with the table):
//! - regions and their zones: <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>
//!   and <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html>.
//!   Zone *names* (`eu-west-1a`) map to physical zones per account; the letters below are
//!   every letter an account can have (older accounts keep e.g. `ap-northeast-1b`).
//! - the ELB account that writes ALB access logs in regions opened before August 2022:
//!   <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html>
//!   (the same map as the provider's `aws_elb_service_account`). Regions opened later have
//!   no such account: only the `logdelivery.elasticloadbalancing.amazonaws.com` service
//!   principal may write there, and `data "aws_elb_service_account"` fails in them.

/// One region: its name, partition, zone letters and legacy ELB log account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    /// ARN partition: `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: &'static str,
    /// Letters of its availability zones (`abc` = `<region>a`, `<region>b`, `<region>c`).
    pub zones: &'static str,
    /// The ELB account of the region's access log delivery, for regions opened before
    /// August 2022 (None: the log delivery service principal only).
    pub elb_log_account: Option<&'static str>,
}

const fn r(
    name: &'static str,
    partition: &'static str,
    zones: &'static str,
    elb_log_account: Option<&'static str>,
) -> Region {
    Region {
        name,
        partition,
        zones,
        elb_log_account,
    }
}

/// Every public commercial, China and GovCloud region (opt-in regions included: the
/// account must enable them before use).
pub const REGIONS: &[Region] = &[
    r("us-east-1", "aws", "abcdef", Some("127311923021")),
    r("us-east-2", "aws", "abc", Some("033677994240")),
    r("us-west-1", "aws", "abc", Some("027434742980")),
    r("us-west-2", "aws", "abcd", Some("797873946194")),
    r("af-south-1", "aws", "abc", Some("098369216593")),
    r("ap-east-1", "aws", "abc", Some("754344448648")),
    r("ap-east-2", "aws", "abc", None),
    r("ap-south-1", "aws", "abc", Some("718504428378")),
    r("ap-south-2", "aws", "abc", None),
    r("ap-southeast-1", "aws", "abc", Some("114774131450")),
    r("ap-southeast-2", "aws", "abc", Some("783225319266")),
    r("ap-southeast-3", "aws", "abc", Some("589379963580")),
    r("ap-southeast-4", "aws", "abc", None),
    r("ap-southeast-5", "aws", "abc", None),
    r("ap-southeast-6", "aws", "abc", None),
    r("ap-southeast-7", "aws", "abc", None),
    r("ap-northeast-1", "aws", "abcd", Some("582318560864")),
    r("ap-northeast-2", "aws", "abcd", Some("600734575887")),
    r("ap-northeast-3", "aws", "abc", Some("383597477331")),
    r("ca-central-1", "aws", "abd", Some("985666609251")),
    r("ca-west-1", "aws", "abc", None),
    r("eu-central-1", "aws", "abc", Some("054676820928")),
    r("eu-central-2", "aws", "abc", None),
    r("eu-west-1", "aws", "abc", Some("156460612806")),
    r("eu-west-2", "aws", "abc", Some("652711504416")),
    r("eu-west-3", "aws", "abc", Some("009996457667")),
    r("eu-south-1", "aws", "abc", Some("635631232127")),
    r("eu-south-2", "aws", "abc", None),
    r("eu-north-1", "aws", "abc", Some("897822967062")),
    r("il-central-1", "aws", "abc", None),
    r("me-south-1", "aws", "abc", Some("076674570225")),
    r("me-central-1", "aws", "abc", None),
    r("mx-central-1", "aws", "abc", None),
    r("sa-east-1", "aws", "abc", Some("507241528517")),
    r("cn-north-1", "aws-cn", "abd", Some("638102146993")),
    r("cn-northwest-1", "aws-cn", "abc", Some("037604701340")),
    r("us-gov-west-1", "aws-us-gov", "abc", Some("048591011584")),
    r("us-gov-east-1", "aws-us-gov", "abc", Some("190560391635")),
];

/// The region of that name, if AWS has one.
pub fn find(name: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|region| region.name == name)
}

/// The known region closest to a misspelled name, if one is close.
pub fn closest(name: &str) -> Option<&'static str> {
    crate::diagnostics::closest(name, REGIONS.iter().map(|region| region.name))
}

impl Region {
    /// Zone names of the region: `eu-west-1a`, `eu-west-1b`, ...
    pub fn zone_names(&self) -> Vec<String> {
        self.zones
            .chars()
            .map(|letter| format!("{}{letter}", self.name))
            .collect()
    }

    pub fn has_zone(&self, zone: &str) -> bool {
        zone.strip_prefix(self.name).is_some_and(|letter| {
            letter.len() == 1 && letter.chars().all(|l| self.zones.contains(l))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (index, region) in REGIONS.iter().enumerate() {
            assert!(
                crate::aws::formats::is_aws_region(region.name),
                "{}",
                region.name
            );
            assert!(
                REGIONS[..index].iter().all(|r| r.name != region.name),
                "{} twice",
                region.name
            );
            // Two zones at least: every spec needs two.
            assert!(region.zones.len() >= 2, "{}", region.name);
            let expected_partition = if region.name.starts_with("cn-") {
                "aws-cn"
            } else if region.name.starts_with("us-gov-") {
                "aws-us-gov"
            } else {
                "aws"
            };
            assert_eq!(region.partition, expected_partition, "{}", region.name);
            if let Some(account) = region.elb_log_account {
                assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }

    #[test]
    fn lookups_and_suggestions() {
        assert_eq!(find("eu-central-1").unwrap().partition, "aws");
        assert!(find("eu-centrl-1").is_none());
        assert_eq!(closest("eu-centrl-1"), Some("eu-central-1"));
        assert_eq!(closest("us-est-1"), Some("us-east-1"));
        assert_eq!(closest("antarctica-east-1"), None);
        let ca = find("ca-central-1").unwrap();
        assert!(ca.has_zone("ca-central-1a") && ca.has_zone("ca-central-1d"));
        assert!(!ca.has_zone("ca-central-1c"));
        assert_eq!(ca.zone_names()[2], "ca-central-1d");
    }

    #[test]
    fn legacy_elb_log_accounts_only_before_august_2022() {
        assert_eq!(
            find("eu-west-1").unwrap().elb_log_account,
            Some("156460612806")
        );
        for newer in [
            "eu-central-2",
            "ap-southeast-4",
            "il-central-1",
            "ca-west-1",
            "me-central-1",
            "ap-south-2",
            "eu-south-2",
            "mx-central-1",
            "ap-southeast-5",
            "ap-southeast-7",
        ] {
            assert_eq!(find(newer).unwrap().elb_log_account, None, "{newer}");
        }
    }
}
