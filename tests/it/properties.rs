//! Property tests: the CIDR plan and HCL escaping hold for any input, not just the
//! examples; plus a check that real Terraform decodes escaped strings back to the original.

use std::net::Ipv4Addr;

use hagen::cidr;
use hagen::render::escape_hcl;
use ipnet::Ipv4Net;
use proptest::prelude::*;

use crate::support;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// For any /16../22 VPC anywhere in the address space and 2..6 zones: every subnet is
    /// inside the VPC, no two overlap, and each tier has one subnet per zone.
    #[test]
    fn cidr_plan_stays_inside_and_never_overlaps(
        address in any::<u32>(),
        prefix in 16u8..=22,
        zones in 2usize..=6,
    ) {
        let vpc = Ipv4Net::new(Ipv4Addr::from(address), prefix).unwrap().trunc();
        let plan = cidr::plan(&vpc, zones).unwrap();
        prop_assert_eq!(plan.public.len(), zones);
        prop_assert_eq!(plan.app.len(), zones);
        prop_assert_eq!(plan.database.len(), zones);
        let all: Vec<Ipv4Net> = plan
            .public
            .iter()
            .chain(&plan.app)
            .chain(&plan.database)
            .copied()
            .collect();
        for (i, subnet) in all.iter().enumerate() {
            prop_assert!(cidr::contains(&vpc, subnet), "{} outside {}", subnet, vpc);
            // AWS's smallest subnet is a /28.
            prop_assert!(subnet.prefix_len() <= 28, "{} is smaller than a /28", subnet);
            for other in &all[i + 1..] {
                prop_assert!(!cidr::overlaps(subnet, other), "{} overlaps {}", subnet, other);
            }
        }
    }

    /// Anything escaped by `escape_hcl` inside quotes is one HCL string literal whose value,
    /// after HCL's own template unescaping (`$${` -> `${`, `%%{` -> `%{`), is the original:
    /// no spec value can end the string or start an interpolation or directive.
    #[test]
    fn escaped_strings_round_trip_through_hcl(
        text in prop_oneof![
            any::<String>(),
            // Biased towards the characters that matter to HCL.
            "[$%{}\"\\\\\n\r\t\u{0}-\u{1f}\u{7f}\u{2028}a ]{0,40}",
        ]
    ) {
        let source = format!("value = \"{}\"\n", escape_hcl(&text));
        let decoded: std::collections::BTreeMap<String, String> =
            hcl::eval::from_str(&source, &hcl::eval::Context::new())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))?;
        prop_assert_eq!(decoded.get("value"), Some(&text), "{}", source);
    }
}

/// The strings most likely to break out of an HCL string, for the Terraform check.
const TRICKY: &[&str] = &[
    "${var.secret}",
    "$${already}",
    "%{ if true }yes%{ endif }",
    "%%{",
    "$",
    "%",
    "{",
    "trailing backslash \\",
    "quote \" inside",
    "\"; evil = \"1",
    "line1\nline2\r\n\ttabbed",
    "control \u{1}\u{1b}[31m\u{7f}",
    "unicode é 日本 🦀 \u{2028}\u{2029}",
    "<<EOT\nheredoc\nEOT",
    "",
];

/// Terraform (or OpenTofu) itself decodes every tricky string back to the original: the
/// escaped literals go into `locals`, `terraform console` prints them as base64 of their
/// JSON (base64 so the console's own string printing cannot interfere).
#[test]
fn terraform_decodes_escaped_strings_to_the_original() {
    let Some(binary) = support::require_tool(
        "terraform or tofu",
        support::terraform_binary(),
        "install OpenTofu or Terraform",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let locals: String = TRICKY
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  v{i} = \"{}\"\n", escape_hcl(s)))
        .collect();
    std::fs::write(
        dir.path().join("main.tf"),
        format!("locals {{\n{locals}}}\n"),
    )
    .unwrap();
    let list: Vec<String> = (0..TRICKY.len()).map(|i| format!("local.v{i}")).collect();
    let expression = format!("base64encode(jsonencode([{}]))\n", list.join(", "));
    let mut child = support::terraform_command(&binary)
        .arg("console")
        .current_dir(dir.path())
        .env("TF_IN_AUTOMATION", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(expression.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} console failed:\n{stdout}\n{}",
        binary.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let encoded = stdout.trim().trim_matches('"');
    let json = base64_decode(encoded);
    let decoded: Vec<String> = serde_json::from_slice(&json).unwrap();
    assert_eq!(decoded, TRICKY);
}

/// Standard base64 (what Terraform's `base64encode` writes); a few lines instead of a crate.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|&b| b != b'=') {
        let value = ALPHABET
            .iter()
            .position(|&a| a == byte)
            .unwrap_or_else(|| panic!("not base64: {text}")) as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[test]
fn base64_decoder_matches_known_values() {
    assert_eq!(base64_decode("aGFnZW4="), b"hagen");
    assert_eq!(base64_decode("WyJcdTAwMjQiXQ=="), b"[\"\\u0024\"]");
}
