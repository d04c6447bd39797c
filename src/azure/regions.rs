//! The one list of Azure regions hagen accepts: regions with availability zones, because
//! every tier of the Azure module spreads over zones 1-3 (zone-redundant Application
//! Gateway and public IPs, zonal scale sets and NAT gateways, zone-redundant SQL and
//! ZRS/GZRS storage).
//!
//! Source: Microsoft Learn, "Azure regions with availability zone support"
//! (<https://learn.microsoft.com/azure/reliability/regions-list>), public cloud regions
//! listed with availability zones. Add a region here when Microsoft adds zones to it.

pub const WITH_AVAILABILITY_ZONES: &[&str] = &[
    "australiaeast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "chilecentral",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "westeurope",
    "westus2",
    "westus3",
];

/// Whether `name` is an Azure region with availability zones.
pub fn has_availability_zones(name: &str) -> bool {
    WITH_AVAILABILITY_ZONES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_unique_lowercase() {
        let mut sorted = WITH_AVAILABILITY_ZONES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, WITH_AVAILABILITY_ZONES);
        assert!(WITH_AVAILABILITY_ZONES.iter().all(|r| {
            r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }));
        assert!(has_availability_zones("westeurope"));
        // West Central US and North Central US have no availability zones.
        assert!(!has_availability_zones("westcentralus"));
        assert!(!has_availability_zones("northcentralus"));
    }
}
