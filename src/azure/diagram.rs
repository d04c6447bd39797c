//! The architecture graph of an Azure module ([`crate::graph`] prints it).

use crate::graph::{End, Graph, Shape, edge, group, node};
use crate::model::Model;
use crate::spec::NatGateways;

pub fn build(model: &Model) -> Graph {
    let azure = model
        .azure
        .as_ref()
        .expect("an Azure model has its Azure part");
    let network = &azure.network;
    let listener = if azure.gateway.https {
        "HTTPS 443 · HTTP 80 redirects"
    } else {
        "HTTP 80 only"
    };
    let zones = format!("zones {} · {listener}", network.zones.join(", "));

    let mut vnet = vec![
        group(
            "gw",
            format!("Gateway subnet · {}", network.gateway_cidr),
            vec![node(
                "agw",
                &["Application Gateway WAF_v2", &zones],
                Shape::Box,
            )],
        ),
        group(
            "app",
            "App subnets · no default outbound",
            network
                .app_subnets
                .iter()
                .map(|(zone, cidr)| {
                    let size = format!("{} · {cidr}", azure.compute.vm_size);
                    node(
                        format!("vmss_{zone}"),
                        &[&format!("Scale set zone {zone}"), &size],
                        Shape::Box,
                    )
                })
                .collect(),
        ),
    ];
    for zone in &network.nat_zones {
        vnet.push(node(
            format!("nat_{zone}"),
            &["NAT gateway", &format!("zone {zone}")],
            Shape::Box,
        ));
    }
    let mut data = vec![node(
        "pe_sql",
        &["Private endpoint", "sqlServer"],
        Shape::Box,
    )];
    if azure.storage.active {
        data.push(node("pe_blob", &["Private endpoint", "blob"], Shape::Box));
    }
    vnet.push(group(
        "data",
        format!("Data subnet · private endpoints · {}", network.data_cidr),
        data,
    ));

    let mut items = vec![
        node("internet", &["Internet"], Shape::Circle),
        node(
            "pip",
            &["Public IP · Standard", "zone-redundant"],
            Shape::Box,
        ),
        group(
            "vnet",
            format!(
                "VNet {} · {} · {}",
                model.name_prefix, network.cidr, model.region
            ),
            vnet,
        ),
        node("waf", &["WAF policy", "OWASP 3.2 · Prevention"], Shape::Box),
        node(
            "sql",
            &[
                &format!("Azure SQL {}", azure.database.sku_name),
                "zone-redundant",
            ],
            Shape::Cylinder,
        ),
    ];
    if azure.storage.active {
        let title = format!("Blob storage {}", azure.storage.replication);
        items.push(node("blob", &[&title], Shape::Cylinder));
    }
    if let Some(region) = &azure.database.failover_region {
        items.push(node(
            "sql_secondary",
            &["Azure SQL secondary", region],
            Shape::Cylinder,
        ));
    }
    if azure.backup_active {
        items.push(node(
            "vault",
            &["Backup vault", "daily blob backup"],
            Shape::Box,
        ));
    }
    items.push(node(
        "log",
        &["Log Analytics", "diagnostic settings"],
        Shape::Box,
    ));
    items.push(node("alerts", &["Alerts", "action group"], Shape::Box));

    let to = |id: &str| End::Node(id.to_string());
    let mut edges = vec![
        edge("internet", to("pip"), None, false),
        edge("pip", to("agw"), None, false),
        edge("waf", to("agw"), None, true),
    ];
    for zone in network.app_subnets.keys() {
        let vmss = format!("vmss_{zone}");
        edges.push(edge(
            "agw",
            to(&vmss),
            Some(format!("port {}", model.compute.spec.port)),
            false,
        ));
        edges.push(edge(&vmss, to("pe_sql"), Some("1433".into()), false));
        if azure.storage.active {
            edges.push(edge(&vmss, to("pe_blob"), Some("443".into()), false));
        }
        if network.app_nat.contains_key(zone) {
            let nat = match network.nat_gateways {
                NatGateways::PerAz => zone.clone(),
                _ => network.nat_zones[0].clone(),
            };
            edges.push(edge(&vmss, to(&format!("nat_{nat}")), None, false));
        }
    }
    edges.push(edge("pe_sql", to("sql"), None, false));
    if azure.storage.active {
        edges.push(edge("pe_blob", to("blob"), None, false));
    }
    if azure.database.failover_region.is_some() {
        edges.push(edge(
            "sql",
            to("sql_secondary"),
            Some("geo-replication".into()),
            true,
        ));
    }
    if azure.backup_active {
        edges.push(edge("blob", to("vault"), None, true));
    }
    edges.push(edge("agw", to("log"), None, true));
    edges.push(edge("log", to("alerts"), None, true));

    Graph {
        name: model.name_prefix.clone(),
        items,
        edges,
    }
}
