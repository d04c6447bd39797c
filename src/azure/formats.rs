//! The Azure formats of the schema: regions with availability zones and Key Vault
//! secret IDs.

/// A format check (the same shape as [`crate::formats::FormatCheck`], named here so this
/// leaf module depends on nothing above it).
pub type Check = fn(&str) -> bool;

pub const ALL: &[(&str, Check)] = &[
    ("azure-region", super::regions::has_availability_zones),
    ("key-vault-secret-id", is_key_vault_secret_id),
];

/// `https://<vault>.vault.azure.net/secrets/<name>` with an optional `/<version>`: the
/// form Application Gateway's `key_vault_secret_id` takes. Vault names are 3-24
/// letters, digits and hyphens; secret names 1-127 letters, digits and hyphens.
pub fn is_key_vault_secret_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let Some(vault) = host.strip_suffix(".vault.azure.net") else {
        return false;
    };
    let word = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !(3..=24).contains(&vault.len()) || !word(vault, 24) {
        return false;
    }
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["secrets", name] => word(name, 127),
        ["secrets", name, version] => {
            word(name, 127) && version.len() == 32 && version.bytes().all(|b| b.is_ascii_hexdigit())
        }
        _ => false,
    }
}

/// A format error in words.
pub fn describe(format: &str, value: &str) -> Option<String> {
    Some(match format {
        "azure-region" => {
            let regions = super::regions::WITH_AVAILABILITY_ZONES;
            match crate::diagnostics::closest(value, regions.iter().copied()) {
                Some(best) => format!(
                    "`{value}` is not an Azure region with availability zones; did you mean `{best}`?"
                ),
                None => format!(
                    "`{value}` is not an Azure region with availability zones ({})",
                    regions.join(", ")
                ),
            }
        }
        "key-vault-secret-id" => format!(
            "`{value}` is not a Key Vault secret ID like https://<vault>.vault.azure.net/secrets/<name>"
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vault_secret_ids() {
        assert!(is_key_vault_secret_id(
            "https://shop-kv.vault.azure.net/secrets/shop-tls"
        ));
        assert!(is_key_vault_secret_id(
            "https://shop-kv.vault.azure.net/secrets/shop-tls/0123456789abcdef0123456789abcdef"
        ));
        assert!(!is_key_vault_secret_id(
            "https://shop-kv.vault.azure.net/keys/shop-tls"
        ));
        assert!(!is_key_vault_secret_id(
            "http://shop-kv.vault.azure.net/secrets/x"
        ));
        assert!(!is_key_vault_secret_id(
            "https://kv.vault.azure.net/secrets/x"
        ));
        assert!(!is_key_vault_secret_id(
            "https://shop-kv.vault.azure.net/secrets/a\"b"
        ));
    }
}
