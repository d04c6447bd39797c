//! The architecture graph of an AWS module ([`crate::graph`] prints it).

use crate::graph::{End, Graph, Item, Shape, edge, group, node};
use crate::model::Model;
use crate::spec::Engine;

pub fn build(model: &Model) -> Graph {
    let network = &model.network;
    let compute = &model.compute;
    let database = &model.database;
    let zones = &network.zones;
    let has_nat = |zone: &crate::model::Zone| zone.nat_zone.as_deref() == Some(zone.name.as_str());

    let mut public = vec![node(
        "alb",
        &[
            "Application Load Balancer",
            if model.load_balancer.https {
                "HTTPS 443 · HTTP 80 redirects"
            } else {
                "HTTP 80 only"
            },
        ],
        Shape::Box,
    )];
    for zone in zones {
        public.push(zone_node(
            "public",
            zone.index,
            &zone.name,
            &zone.public_cidr,
        ));
    }
    for zone in zones.iter().filter(|zone| has_nat(zone)) {
        public.push(node(
            format!("nat_{}", zone.index),
            &["NAT gateway", &zone.name],
            Shape::Box,
        ));
    }

    let sizes = format!("{}-{}", compute.spec.min_size, compute.spec.max_size);
    let compute_lines = if compute.is_ecs {
        [
            "ECS Fargate service".to_string(),
            format!("{sizes} tasks · port {}", compute.spec.port),
        ]
    } else if compute.is_eks {
        [
            format!("EKS {} Auto Mode cluster", compute.kubernetes_version),
            format!("{sizes} pods · port {}", compute.spec.port),
        ]
    } else {
        [
            "Auto Scaling group".to_string(),
            format!(
                "{} × {sizes} · port {}",
                compute.spec.instance_type, compute.spec.port
            ),
        ]
    };
    let mut app = vec![node(
        "compute",
        &[&compute_lines[0], &compute_lines[1]],
        Shape::Box,
    )];
    for zone in zones {
        app.push(zone_node("app", zone.index, &zone.name, &zone.app_cidr));
    }

    let mut data = Vec::new();
    if database.rds {
        let engine = match database.spec.engine {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        };
        let title = format!("RDS {engine} {}", database.engine_major_version);
        data.push(node("rds_primary", &[&title, "primary"], Shape::Cylinder));
        if database.spec.multi_az {
            data.push(node(
                "rds_standby",
                &["RDS standby", "Multi-AZ, other zone"],
                Shape::Cylinder,
            ));
        }
    }
    for zone in zones {
        data.push(zone_node(
            "database",
            zone.index,
            &zone.name,
            &zone.database_cidr,
        ));
    }

    let mut items = vec![
        node("internet", &["Internet"], Shape::Circle),
        group(
            "vpc",
            format!(
                "VPC {} · {} · {}",
                model.name_prefix, network.cidr, model.region
            ),
            vec![
                group("public", "Public subnets", public),
                group("app", "Private app subnets", app),
                group("data", "Private database subnets · no internet route", data),
            ],
        ),
    ];
    let tables = End::Group {
        id: "dynamodb".into(),
        first_node: "table_1".into(),
    };
    let buckets = End::Group {
        id: "s3".into(),
        first_node: "bucket_1".into(),
    };
    if database.dynamodb {
        let nodes = database.spec.tables.iter().enumerate();
        let nodes =
            nodes.map(|(i, t)| node(format!("table_{}", i + 1), &[&t.name], Shape::Cylinder));
        items.push(group("dynamodb", "DynamoDB", nodes.collect()));
    }
    if !model.storage.buckets.is_empty() {
        let nodes = model.storage.buckets.iter().enumerate();
        let nodes =
            nodes.map(|(i, b)| node(format!("bucket_{}", i + 1), &[&b.name], Shape::Cylinder));
        items.push(group(
            "s3",
            "S3 buckets · versioned, encrypted, private",
            nodes.collect(),
        ));
    }
    if model.backup_active {
        let schedule = format!(
            "{} · {} days",
            model.backup.schedule, model.backup.retention_days
        );
        items.push(node("backup", &["AWS Backup", &schedule], Shape::Box));
    }
    let subscriptions = format!(
        "{} email subscription(s)",
        model.monitoring.alarm_emails.len()
    );
    items.push(group(
        "monitoring",
        "Monitoring",
        vec![
            node("alarms", &["CloudWatch alarms"], Shape::Box),
            node(
                "events",
                &[
                    "EventBridge",
                    if compute.is_ec2 {
                        "scaling events"
                    } else if compute.is_eks {
                        "cluster changes"
                    } else {
                        "task stops"
                    },
                ],
                Shape::Box,
            ),
            node(
                "sns",
                &["SNS topic · encrypted", &subscriptions],
                Shape::Box,
            ),
        ],
    ));

    let to = |id: &str| End::Node(id.to_string());
    let listener = if model.load_balancer.https {
        "443 / 80"
    } else {
        "80"
    };
    let mut edges = vec![
        edge("internet", to("alb"), Some(listener.into()), false),
        edge(
            "alb",
            to("compute"),
            Some(compute.spec.port.to_string()),
            false,
        ),
    ];
    if database.rds {
        edges.push(edge(
            "compute",
            to("rds_primary"),
            Some(database.port.to_string()),
            false,
        ));
        if database.spec.multi_az {
            edges.push(edge(
                "rds_primary",
                to("rds_standby"),
                Some("synchronous replication".into()),
                true,
            ));
        }
    }
    if database.dynamodb {
        edges.push(edge("compute", tables.clone(), None, false));
    }
    if !model.storage.buckets.is_empty() {
        edges.push(edge(
            "compute",
            buckets.clone(),
            Some("S3 gateway endpoint".into()),
            false,
        ));
    }
    for zone in zones.iter().filter(|zone| has_nat(zone)) {
        edges.push(edge(
            &format!("nat_{}", zone.index),
            to("internet"),
            None,
            false,
        ));
    }
    for zone in zones {
        let Some(nat_zone) = &zone.nat_zone else {
            continue;
        };
        if let Some(nat) = zones.iter().find(|z| &z.name == nat_zone) {
            edges.push(edge(
                &format!("app_{}", zone.index),
                to(&format!("nat_{}", nat.index)),
                None,
                true,
            ));
        }
    }
    if model.backup_active {
        let backs_up = || Some("backs up".to_string());
        if !model.storage.buckets.is_empty() {
            edges.push(edge("backup", buckets, backs_up(), true));
        }
        if model.backup.include_database && database.rds {
            edges.push(edge("backup", to("rds_primary"), backs_up(), true));
        }
        if model.backup.include_database && database.dynamodb {
            edges.push(edge("backup", tables, backs_up(), true));
        }
    }
    edges.push(edge("alarms", to("sns"), None, false));
    edges.push(edge("events", to("sns"), None, false));

    Graph {
        name: model.name_prefix.clone(),
        items,
        edges,
    }
}

fn zone_node(tier: &str, index: usize, zone: &str, cidr: &str) -> Item {
    node(format!("{tier}_{index}"), &[zone, cidr], Shape::Box)
}
