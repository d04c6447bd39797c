//! The AWS formats of the schema (`aws-region`, ARNs of certificates, keys and secrets).

/// A format check (the same shape as [`crate::formats::FormatCheck`], named here so this
/// leaf module depends on nothing above it).
pub type Check = fn(&str) -> bool;

pub const ALL: &[(&str, Check)] = &[
    ("aws-region", is_aws_region),
    ("aws-availability-zone", is_availability_zone),
    ("acm-certificate-arn", is_acm_certificate_arn),
    ("kms-key-arn", is_kms_key_arn),
    ("secret-arn", is_secret_arn),
];

fn is_lower_word(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase())
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-3`, `us-isob-east-1`, `eusc-de-east-1`.
pub fn is_aws_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let (area, rest) = match parts.as_slice() {
        [area, partition, rest @ ..]
            if matches!(*partition, "gov" | "iso" | "isob" | "isoe" | "isof") =>
        {
            (*area, rest)
        }
        [area, rest @ ..] => (*area, rest),
        [] => return false,
    };
    let [direction, number] = rest else {
        return false;
    };
    (2..=4).contains(&area.len())
        && is_lower_word(area)
        && is_lower_word(direction)
        && !number.is_empty()
        && number.len() <= 2
        && number.bytes().all(|b| b.is_ascii_digit())
        && !number.starts_with('0')
}

/// A region followed by one zone letter: `eu-west-1a`.
pub fn is_availability_zone(text: &str) -> bool {
    match text.char_indices().last() {
        Some((index, letter)) if letter.is_ascii_lowercase() => is_aws_region(&text[..index]),
        _ => false,
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` with the given service and
/// a resource accepted by `resource`.
fn is_arn(text: &str, service: &str, resource: impl Fn(&str) -> bool) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, svc, region, account, rest] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && matches!(
            *partition,
            "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
        )
        && *svc == service
        && is_aws_region(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource(rest)
}

fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `arn:aws:acm:eu-west-1:123456789012:certificate/<id>`.
pub fn is_acm_certificate_arn(text: &str) -> bool {
    is_arn(text, "acm", |r| {
        r.strip_prefix("certificate/").is_some_and(is_id)
    })
}

/// A KMS key ARN (`key/<id>`) or alias ARN (`alias/<name>`).
pub fn is_kms_key_arn(text: &str) -> bool {
    is_arn(text, "kms", |r| {
        r.strip_prefix("key/").is_some_and(is_id)
            || r.strip_prefix("alias/").is_some_and(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
            })
    })
}

/// A Secrets Manager secret ARN or an SSM parameter ARN (ECS accepts both).
pub fn is_secret_arn(text: &str) -> bool {
    let name_ok = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-:".contains(&b))
    };
    is_arn(text, "secretsmanager", |r| {
        r.strip_prefix("secret:").is_some_and(name_ok)
    }) || is_arn(text, "ssm", |r| {
        r.strip_prefix("parameter/").is_some_and(name_ok)
    })
}

/// A format error in words.
pub fn describe(format: &str, value: &str) -> Option<String> {
    Some(match format {
        "aws-region" => format!("`{value}` is not an AWS region name"),
        "aws-availability-zone" => format!("`{value}` is not an availability zone name"),
        "acm-certificate-arn" => format!("`{value}` is not an ACM certificate ARN"),
        "kms-key-arn" => format!("`{value}` is not a KMS key ARN"),
        "secret-arn" => {
            format!("`{value}` is not the ARN of a Secrets Manager secret or an SSM parameter")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn custom_formats() {
        assert!(is_aws_region("eu-west-1"));
        assert!(is_aws_region("us-gov-west-1"));
        assert!(is_aws_region("ap-southeast-3"));
        assert!(!is_aws_region("eu-west"));
        assert!(!is_aws_region("EU-west-1"));
        assert!(!is_aws_region("eu-west-1a"));
        assert!(is_availability_zone("eu-west-1a"));
        assert!(!is_availability_zone("eu-west-1"));
        assert!(!is_availability_zone("eu-west-1ab"));
        assert!(is_acm_certificate_arn(
            "arn:aws:acm:eu-west-1:123456789012:certificate/0e1a6b2c-1234-4d5e-8f90-123456789abc"
        ));
        assert!(!is_acm_certificate_arn(
            "arn:aws:acm:eu-west-1:12345:certificate/0e1a6b2c"
        ));
        assert!(!is_acm_certificate_arn(
            "arn:aws:kms:eu-west-1:123456789012:key/0e1a6b2c"
        ));
        assert!(is_kms_key_arn(
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(is_kms_key_arn(
            "arn:aws:kms:eu-west-1:123456789012:alias/app"
        ));
        assert!(!is_kms_key_arn("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(is_secret_arn(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password-AbCdEf"
        ));
        assert!(is_secret_arn(
            "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token"
        ));
        assert!(!is_secret_arn(
            "arn:aws:ssm:eu-west-1:123456789012:document/x"
        ));
    }
}
