//! The Azure target beyond what every example gets (snapshots, fmt/validate/self-tests
//! and checkov in terraform.rs, error fixtures in tests/fixtures/invalid/azure_*.yaml):
//! static checks of the rendered HCL that close the gaps a `terraform test` cannot (every
//! alert notifies, only the gateway faces the internet, no password anywhere, tags on
//! everything), environments, and the one escaping path for Azure values.

use std::collections::BTreeMap;

use crate::support;

/// `resource "TYPE" "NAME"` blocks of the rendered module: (type, name, body).
fn resources(rendered: &hagen::render::Rendered) -> Vec<(String, String, hcl::Body)> {
    let mut out = Vec::new();
    for (path, text) in rendered.iter().filter(|(p, _)| p.ends_with(".tf")) {
        let body = hcl::parse(text).unwrap_or_else(|err| panic!("{path}: {err}"));
        for block in body.into_blocks() {
            if block.identifier() == "resource" && block.labels().len() == 2 {
                out.push((
                    block.labels()[0].as_str().to_string(),
                    block.labels()[1].as_str().to_string(),
                    block.body().clone(),
                ));
            }
        }
    }
    out
}

fn source(body: &hcl::Body, key: &str) -> Option<String> {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| hcl::format::to_string(a.expr()).expect("expression formats"))
}

fn blocks<'a>(body: &'a hcl::Body, name: &'a str) -> impl Iterator<Item = &'a hcl::Block> {
    body.blocks().filter(move |b| b.identifier() == name)
}

#[test]
fn there_are_azure_examples_and_they_render() {
    let specs = support::azure_example_specs();
    assert!(
        specs.len() >= 2,
        "expected two Azure examples, found {specs:?}"
    );
    for spec in specs {
        let rendered = support::render(&spec);
        for file in [
            "main.tf",
            "network.tf",
            "app_gateway.tf",
            "compute.tf",
            "database.tf",
        ] {
            assert!(rendered.contains_key(file), "{}: no {file}", spec.display());
        }
        assert!(
            !rendered.keys().any(|p| p.contains("aws")),
            "{}: AWS files in an Azure module: {:?}",
            spec.display(),
            rendered.keys()
        );
        assert!(rendered["versions.tf"].contains("hashicorp/azurerm"));
    }
}

#[test]
fn every_alert_notifies_the_action_group() {
    for spec in support::azure_example_specs() {
        let rendered = support::render(&spec);
        let mut alerts = 0;
        for (kind, name, body) in resources(&rendered) {
            let notifies = match kind.as_str() {
                "azurerm_monitor_metric_alert" | "azurerm_monitor_activity_log_alert" => {
                    blocks(&body, "action").any(|action| {
                        source(action.body(), "action_group_id").as_deref()
                            == Some("azurerm_monitor_action_group.this.id")
                    })
                }
                "azurerm_monitor_scheduled_query_rules_alert_v2" => {
                    blocks(&body, "action").any(|action| {
                        source(action.body(), "action_groups").is_some_and(|groups| {
                            groups.contains("azurerm_monitor_action_group.this.id")
                        })
                    })
                }
                _ => continue,
            };
            alerts += 1;
            assert!(
                notifies,
                "{}: {kind}.{name} notifies nobody",
                spec.display()
            );
        }
        // CPU, unhealthy hosts, 5xx, failed requests, response time, traffic anomaly,
        // 4 SQL, memory, disk, autoscale, resource health.
        assert!(alerts >= 14, "{}: only {alerts} alerts", spec.display());
    }
}

#[test]
fn only_the_gateway_subnet_admits_the_internet_and_nothing_admits_ssh() {
    for spec in support::azure_example_specs() {
        let rendered = support::render(&spec);
        let mut nsgs = 0;
        for (kind, name, body) in resources(&rendered) {
            if kind == "azurerm_network_security_rule" {
                panic!("{}: use inline security_rule blocks", spec.display());
            }
            if kind != "azurerm_network_security_group" {
                continue;
            }
            nsgs += 1;
            let rules: Vec<&hcl::Block> = blocks(&body, "security_rule").collect();
            let mut denies_rest = false;
            for rule in &rules {
                let get = |key: &str| source(rule.body(), key).unwrap_or_default();
                if get("access") == "\"Deny\"" && get("source_address_prefix") == "\"*\"" {
                    denies_rest = true;
                    continue;
                }
                let from = get("source_address_prefix");
                if from == "\"Internet\"" || from == "\"*\"" {
                    assert_eq!(
                        name,
                        "gateway",
                        "{}: NSG {name} admits the internet",
                        spec.display()
                    );
                    let port = get("destination_port_range");
                    assert!(
                        port == "\"443\"" || port == "\"80\"",
                        "{}: the gateway admits {port} from the internet",
                        spec.display()
                    );
                }
                let ports = format!(
                    "{} {}",
                    get("destination_port_range"),
                    get("destination_port_ranges")
                );
                assert!(
                    !ports.contains("\"22\"") && !ports.contains("\"3389\""),
                    "{}: NSG {name} admits SSH/RDP",
                    spec.display()
                );
            }
            assert!(
                denies_rest,
                "{}: NSG {name} does not deny the rest",
                spec.display()
            );
            if name == "app" {
                let allow: Vec<String> = rules
                    .iter()
                    .filter(|r| source(r.body(), "access").as_deref() == Some("\"Allow\""))
                    .map(|r| source(r.body(), "source_address_prefix").unwrap_or_default())
                    .collect();
                assert_eq!(
                    allow,
                    ["azurerm_subnet.gateway.address_prefixes[0]"],
                    "{}: the app NSG must admit only the gateway subnet",
                    spec.display()
                );
            }
        }
        assert_eq!(nsgs, 3, "{}: one NSG per tier", spec.display());
    }
}

#[test]
fn no_password_reaches_configuration_or_state() {
    for spec in support::azure_example_specs() {
        let rendered = support::render(&spec);
        for (kind, name, body) in resources(&rendered) {
            assert!(
                source(&body, "administrator_login_password").is_none(),
                "{}: {kind}.{name} puts a password in state; use the _wo argument",
                spec.display()
            );
            if kind == "azurerm_orchestrated_virtual_machine_scale_set" {
                let text = hcl::format::to_string(&body).unwrap();
                assert!(text.contains("disable_password_authentication = true"));
                assert!(!text.contains("admin_password"));
            }
        }
        if let Some(variables) = rendered.get("variables.tf")
            && variables.contains("variable \"sql_admin_password\"")
        {
            assert!(
                variables.contains("ephemeral   = true"),
                "{}",
                spec.display()
            );
            assert!(
                rendered["versions.tf"].contains(">= 1.11.0"),
                "write-only arguments need Terraform 1.11"
            );
        }
    }
}

#[test]
fn every_resource_with_a_location_is_tagged() {
    for spec in support::azure_example_specs() {
        let rendered = support::render(&spec);
        for (kind, name, body) in resources(&rendered) {
            if source(&body, "location").is_some() {
                assert!(
                    source(&body, "tags").is_some()
                        || kind.starts_with("azurerm_data_protection_backup_instance"),
                    "{}: {kind}.{name} has no tags",
                    spec.display()
                );
            }
        }
    }
}

#[test]
fn environments_get_their_variables_and_azurerm_backend() {
    let spec = support::repo_root().join("examples/azure-production.yaml");
    let rendered = support::render(&spec);
    let tfvars = &rendered["environments/staging.tfvars"];
    let values: BTreeMap<String, String> = hcl::parse(tfvars)
        .unwrap()
        .attributes()
        .map(|a| {
            (
                a.key().to_string(),
                hcl::format::to_string(a.expr()).unwrap(),
            )
        })
        .collect();
    assert_eq!(values["vm_size"], "\"Standard_D2s_v5\"");
    assert_eq!(values["db_sku_name"], "\"GP_Gen5_2\"");
    assert_eq!(values["environment"], "\"staging\"");
    assert!(!values.contains_key("instance_type") && !values.contains_key("certificate_arn"));
    let backend = &rendered["environments/staging.azurerm.tfbackend"];
    assert!(backend.contains("key                  = \"shop/staging/terraform.tfstate\""));
    assert!(rendered["backend.tf"].contains("backend \"azurerm\""));
    assert!(!rendered.keys().any(|p| p.ends_with(".s3.tfbackend")));
}

#[test]
fn spec_values_reach_azure_hcl_through_the_one_escaping_path() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "target: azure\nname: shop\nregion: westeurope\n\
         network:\n  cidr: 10.0.0.0/16\n  availability_zones: ['1', '2']\n\
         database:\n  entra_admin:\n    login: 'a${b} %{c}\\d'\n\
         \x20   object_id: 3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8\n",
    )
    .unwrap();
    let rendered = hagen::render_spec(&spec, None).unwrap();
    let database = &rendered["database.tf"];
    assert!(
        database.contains(r#"login_username              = "a$${b} %%{c}\\d""#),
        "{database}"
    );
    for (path, text) in rendered.iter().filter(|(p, _)| p.ends_with(".tf")) {
        hcl::parse(text).unwrap_or_else(|err| panic!("{path}: {err}"));
    }
}

#[test]
fn graph_and_check_work_for_azure() {
    let spec = support::repo_root().join("examples/azure-dev.yaml");
    let model = hagen::model_from_file(&spec).unwrap();
    let mermaid = hagen::target::graph(&model, hagen::graph::GraphFormat::Mermaid);
    assert!(mermaid.contains("Application Gateway WAF_v2"));
    assert!(mermaid.contains("vmss_1") && mermaid.contains("vmss_2"));
    let dot = hagen::target::graph(&model, hagen::graph::GraphFormat::Dot);
    assert!(dot.contains("agw -> vmss_1") && dot.contains("subgraph cluster_vnet"));
}
