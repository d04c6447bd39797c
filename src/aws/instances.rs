//! EC2 instance types: which CPU architecture a type has, so the AMI matches it.
//!
//! AWS names a type `<family>.<size>`; the family is a series (`m`, `c`, `im`, `hpc`...),
//! a generation number, then capability letters. Graviton (arm64) families carry `g`
//! as their first capability letter (`t4g`, `m7g`, `m6gd`, `c6gn`, `x2gd`, `is4gen`,
//! `hpc7g`, `g5g`), plus the first Graviton family `a1`:
//! <https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html>.

use crate::spec::CpuArchitecture;

/// The CPU architecture of an instance type such as `t4g.small` (arm64) or `t3.micro`.
pub fn architecture(instance_type: &str) -> CpuArchitecture {
    let family = instance_type.split('.').next().unwrap_or_default();
    if family == "a1" {
        return CpuArchitecture::Arm64;
    }
    // Series letters, then the generation digits, then the capability letters.
    let after_series = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let capabilities = after_series.trim_start_matches(|c: char| c.is_ascii_digit());
    if !after_series.is_empty() && capabilities.starts_with('g') {
        CpuArchitecture::Arm64
    } else {
        CpuArchitecture::X86_64
    }
}

/// The architecture an AMI SSM parameter names (`...-x86_64`, `...-arm64`), if it names one.
pub fn ami_parameter_architecture(ami: &str) -> Option<CpuArchitecture> {
    let parameter = ami.strip_prefix("resolve:ssm:")?;
    let last = parameter.rsplit('/').next().unwrap_or_default();
    if last.contains("arm64") {
        Some(CpuArchitecture::Arm64)
    } else if last.contains("x86_64") {
        Some(CpuArchitecture::X86_64)
    } else {
        None
    }
}

/// The latest Amazon Linux 2023 AMI for an architecture, resolved by EC2 at each launch:
/// <https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-from-ec2-console>.
pub fn default_ami(architecture: CpuArchitecture) -> String {
    format!(
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{}",
        architecture.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use CpuArchitecture::{Arm64, X86_64};

    #[test]
    fn graviton_families_are_arm64() {
        for arm in [
            "t4g.micro",
            "m7g.large",
            "c7g.xlarge",
            "m6gd.large",
            "c6gn.medium",
            "x2gd.medium",
            "is4gen.large",
            "im4gn.large",
            "hpc7g.4xlarge",
            "g5g.xlarge",
            "a1.medium",
            "r8g.large",
            "c8gn.large",
        ] {
            assert_eq!(architecture(arm), Arm64, "{arm}");
        }
        for x86 in [
            "t3.micro",
            "t3a.small",
            "m7i.large",
            "m7i-flex.large",
            "c7a.large",
            "g5.xlarge",
            "g4dn.xlarge",
            "r5dn.large",
            "inf2.xlarge",
            "z1d.large",
            "p4de.24xlarge",
        ] {
            assert_eq!(architecture(x86), X86_64, "{x86}");
        }
    }

    #[test]
    fn ami_parameters_name_their_architecture() {
        assert_eq!(
            default_ami(Arm64),
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
        );
        assert_eq!(
            ami_parameter_architecture(&default_ami(X86_64)),
            Some(X86_64)
        );
        assert_eq!(
            ami_parameter_architecture(
                "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-arm64"
            ),
            Some(Arm64)
        );
        assert_eq!(
            ami_parameter_architecture("resolve:ssm:/my/golden-ami"),
            None
        );
        assert_eq!(ami_parameter_architecture("ami-0123456789abcdef0"), None);
    }
}
