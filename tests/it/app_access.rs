//! What the app tier gets from its stack: least-privilege access to its own data, the
//! connection facts in the form each compute kind expects, user data that serves the
//! load balancer's health check, and memory and disk monitoring on EC2. Checked on the
//! rendered module (the generated self-tests check the same on a mocked plan/apply).

use std::collections::BTreeSet;
use std::path::Path;

use hagen::spec::HealthCheckPort;

use crate::support;

fn file(spec: &Path, name: &str) -> String {
    support::render(spec)
        .remove(name)
        .unwrap_or_else(|| panic!("{} renders no {name}", spec.display()))
}

/// Ports a web server in a boot script listens on: nginx `listen N`, Apache `Listen N`.
fn listen_ports(script: &str) -> BTreeSet<u32> {
    script
        .lines()
        .filter_map(|line| {
            let mut words = line.trim().trim_end_matches(';').split_whitespace();
            match words.next()? {
                "listen" | "Listen" => {
                    let address = words.next()?.trim_end_matches(';');
                    address.rsplit(':').next()?.parse().ok()
                }
                _ => None,
            }
        })
        .collect()
}

/// Whether a boot script answers `path`: an nginx `location` matching it, or a file at
/// that path under Apache's or nginx's document root.
fn serves_path(script: &str, path: &str) -> bool {
    script.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let nginx = match words.as_slice() {
            ["location", "=", exact, ..] => *exact == path,
            ["location", prefix, "{", ..] => path.starts_with(prefix),
            _ => false,
        };
        let file = ["/var/www/html", "/usr/share/nginx/html"]
            .iter()
            .any(|root| line.contains(&format!("> {root}{path}")));
        nginx || file
    })
}

#[test]
fn the_parsers_read_what_the_examples_write() {
    let nginx =
        "server {\n    listen 8080 default_server;\n    location = /health { return 200; }\n}";
    assert_eq!(listen_ports(nginx), BTreeSet::from([8080]));
    assert!(serves_path(nginx, "/health"));
    assert!(!serves_path(nginx, "/healthz"));
    let apache = "Listen 80\nListen 0.0.0.0:8081\necho ok > /var/www/html/healthz";
    assert_eq!(listen_ports(apache), BTreeSet::from([80, 8081]));
    assert!(serves_path(apache, "/healthz"));
    assert!(!serves_path(
        "dnf install -y nginx\nsystemctl enable --now nginx",
        "/"
    ));
}

/// The load balancer sends traffic to `compute.port` and probes the health check port
/// (the traffic port unless set) at its path: an example whose user data serves neither
/// never gets a healthy instance, and its instance refresh never completes.
#[test]
fn every_ec2_example_serves_its_health_check_on_the_app_port() {
    let mut checked = 0;
    for spec in support::example_specs()
        .into_iter()
        .filter(|s| !support::is_azure(s))
    {
        let model = hagen::model_from_file(&spec).unwrap();
        if !model.compute.is_ec2 {
            continue;
        }
        let name = support::example_name(&spec);
        let script = model
            .compute
            .user_data_script
            .as_deref()
            .unwrap_or_else(|| panic!("{name}: an EC2 example needs user data that runs the app"));
        let check = &model.load_balancer.spec.health_check;
        let app_port = model.compute.spec.port;
        let check_port = match &check.port {
            HealthCheckPort::Number(port) => *port,
            HealthCheckPort::Named(_) => app_port,
        };
        let ports = listen_ports(script);
        assert!(
            ports.contains(&app_port) && ports.contains(&check_port),
            "{name}: the user data listens on {ports:?}, but the target group sends traffic to {app_port} and probes {check_port}"
        );
        assert!(
            serves_path(script, &check.path),
            "{name}: the user data does not answer the health check path {}",
            check.path
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} EC2 examples found");
}

#[test]
fn the_app_data_policy_covers_exactly_the_stacks_data() {
    let text = file(&support::example("production"), "app_access.tf");
    for needle in [
        // Buckets: list and object access on the stack's buckets only.
        r#"Action   = "s3:ListBucket""#,
        r#"Resource = [for key, bucket in aws_s3_bucket.this : bucket.arn]"#,
        r#"Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]"#,
        r#"Resource = [for key, bucket in aws_s3_bucket.this : "${bucket.arn}/*"]"#,
        // The managed master secret, and IAM auth as one database user of this instance.
        r#"Action   = "secretsmanager:GetSecretValue""#,
        r#"Resource = aws_db_instance.this.master_user_secret[0].secret_arn"#,
        r#"dbuser:${aws_db_instance.this.resource_id}/app_iam""#,
        // The stack key, through the services that hold the data only.
        r#"Action   = ["kms:Decrypt", "kms:GenerateDataKey"]"#,
        r#""secretsmanager.eu-west-1.${data.aws_partition.current.dns_suffix}","#,
        r#""s3.eu-west-1.${data.aws_partition.current.dns_suffix}","#,
        // EC2: the instance role.
        r#"role   = aws_iam_role.app.id"#,
    ] {
        assert!(
            text.contains(needle),
            "production app_access.tf lacks {needle}:\n{text}"
        );
    }
    assert!(!text.contains("dynamodb"), "no tables, no DynamoDB access");
    assert!(!text.contains(r#""*""#), "no wildcard resources:\n{text}");

    let text = file(&support::example("ec2-dynamodb"), "app_access.tf");
    for needle in [
        r#"aws_dynamodb_table.this["links"].arn,"#,
        r#""${aws_dynamodb_table.this["links"].arn}/index/by-owner","#,
        r#""${aws_dynamodb_table.this["clicks"].arn}/index/by-day","#,
        r#""dynamodb.us-west-2.${data.aws_partition.current.dns_suffix}","#,
    ] {
        assert!(
            text.contains(needle),
            "ec2-dynamodb app_access.tf lacks {needle}"
        );
    }
    assert!(!text.contains("rds-db") && !text.contains("secretsmanager"));

    // A bucket with its own key: the app needs that key too.
    let text = file(&support::example("options"), "app_access.tf");
    assert!(
        text.contains(r#"Resource = concat([aws_kms_key.main.arn], ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"])"#),
        "{text}"
    );

    // ECS: the task role gets the same policy.
    let text = file(&support::example("ecs-rds"), "app_access.tf");
    assert!(text.contains("role   = aws_iam_role.ecs_task.id"), "{text}");
}

#[test]
fn the_connection_facts_are_one_contract() {
    let text = file(&support::example("production"), "app_access.tf");
    for line in [
        r#"AWS_REGION       = "eu-west-1""#,
        r#"DB_ENGINE        = "postgres""#,
        "DB_HOST          = aws_db_instance.this.address",
        r#"DB_PORT          = "5432""#,
        r#"DB_NAME          = "app""#,
        r#"DB_USERNAME      = "app_admin""#,
        "DB_SECRET_ARN    = aws_db_instance.this.master_user_secret[0].secret_arn",
        r#"DB_IAM_USERNAME  = "app_iam""#,
        r#"S3_BUCKET_ASSETS = aws_s3_bucket.this["assets"].bucket"#,
        r#"S3_BUCKET_UPLOADS = aws_s3_bucket.this["uploads"].bucket"#,
    ] {
        let wanted: Vec<&str> = line.split_whitespace().collect();
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == wanted),
            "production app_access.tf lacks `{line}`:\n{text}"
        );
    }
    let text = file(&support::example("ec2-dynamodb"), "app_access.tf");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    "DYNAMODB_TABLE_LINKS",
                    "=",
                    r#"aws_dynamodb_table.this["links"].name"#
                ]),
        "{text}"
    );
}

#[test]
fn ecs_gets_the_facts_in_its_environment_and_the_credentials_as_secrets() {
    let text = file(&support::example("ecs-rds"), "ecs.tf");
    // The spec's own variables win over the stack's of the same name.
    assert!(text.contains(r#"[for name, value in local.app_environment : { name = name, value = value } if !contains(["LOG_LEVEL", "NODE_ENV", "API_SIGNING_KEY", "DATABASE_URL", "DB_USERNAME", "DB_PASSWORD"], name)]"#), "{text}");
    assert!(text.contains(r#"{ name = "DB_USERNAME", valueFrom = "${aws_db_instance.this.master_user_secret[0].secret_arn}:username::" },"#));
    assert!(text.contains(r#"{ name = "DB_PASSWORD", valueFrom = "${aws_db_instance.this.master_user_secret[0].secret_arn}:password::" },"#));
    // The execution role injects them: the secret and its key, through Secrets Manager.
    let execution = &text[text
        .find(r#"resource "aws_iam_role_policy" "ecs_execution""#)
        .unwrap()..];
    let execution = &execution[..execution.find("\n}\n").unwrap()];
    assert!(
        execution.contains(r#"Resource = aws_db_instance.this.master_user_secret[0].secret_arn"#),
        "{execution}"
    );
    assert!(execution.contains(r#"StringEquals = { "kms:ViaService" = "secretsmanager.eu-central-1.${data.aws_partition.current.dns_suffix}" }"#), "{execution}");

    // A spec that names DB_PASSWORD itself keeps its own.
    let rendered = support::render_text(
        "name: api\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\ncompute:\n  kind: ecs\n  image: nginx:1.27\n  secrets:\n    DB_PASSWORD: arn:aws:secretsmanager:eu-west-1:123456789012:secret:pw-AbCdEf\n",
    );
    let text = &rendered["ecs.tf"];
    assert!(
        text.contains(r#"{ name = "DB_USERNAME", valueFrom"#),
        "{text}"
    );
    assert!(!text.contains(":password::"), "{text}");
}

#[test]
fn ec2_gets_the_facts_from_parameter_store_in_an_env_file() {
    let text = file(&support::example("production"), "compute.tf");
    for needle in [
        // One SecureString parameter per fact, under the stack's path.
        "for_each = local.app_environment",
        r#"name        = "/${local.name_prefix}/app/${each.key}""#,
        r#"type        = "SecureString""#,
        // Readable by the instance role, by path.
        r#":parameter/${local.name_prefix}/app","#,
        r#":parameter/${local.name_prefix}/app/*","#,
        r#"StringEquals = { "kms:ViaService" = "ssm.eu-west-1.${data.aws_partition.current.dns_suffix}" }"#,
        // Fetched at boot into the env file, before the spec's own user data.
        r#"aws ssm get-parameters-by-path --region "$region" --path "/${local.name_prefix}/app/" --with-decryption"#,
        ">/etc/hagen/app.env)",
        r#"filename="00-hagen-boot.sh""#,
        r#"filename="10-user-data""#,
        r#"${file("${path.module}/user_data.sh")}"#,
    ] {
        assert!(
            text.contains(needle),
            "production compute.tf lacks {needle}"
        );
    }
    let boot = text.find("00-hagen-boot.sh").unwrap();
    let user = text.find("10-user-data").unwrap();
    assert!(boot < user, "the boot script must run first");
    // The parts are typed after their first line, so cloud-init runs a #cloud-config too.
    let rendered = support::render_text(
        "name: web\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\ncompute:\n  user_data: |\n    #cloud-config\n    packages: [nginx]\n",
    );
    assert!(rendered["compute.tf"].contains("Content-Type: text/cloud-config;"));
    assert!(rendered["user_data.sh"].starts_with("#cloud-config\n"));
    // Without user data of its own, the archive holds only the boot script.
    let rendered = support::render_text(
        "name: web\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\n",
    );
    assert!(!rendered["compute.tf"].contains("10-user-data"));
    assert!(!rendered.contains_key("user_data.sh"));
}

/// EC2 refuses more than 16 KiB of user data; the boot script must leave room for the
/// spec's, and the module compresses the archive when it would not fit.
#[test]
fn the_user_data_stays_under_16_kib() {
    let text = file(&support::example("production"), "compute.tf");
    let start = text.find("app_user_data = <<EOT\n").unwrap() + "app_user_data = <<EOT\n".len();
    let archive = &text[start..start + text[start..].find("\nEOT\n").unwrap()];
    // The interpolations are at most as long as what they stand for: two 40-character
    // hashes, a name prefix (27) and a parameter name, well under their template text.
    assert!(
        archive.len() < 4096,
        "the boot script takes {} bytes",
        archive.len()
    );
    assert!(text.contains("user_data = length(local.app_user_data) <= 16384 ? base64encode(local.app_user_data) : base64gzip(local.app_user_data)"));
    assert!(text.contains("condition     = length(base64gzip(local.app_user_data)) <= 21848"));
}

#[test]
fn ec2_alarms_on_memory_and_disk_from_the_cloudwatch_agent() {
    let compute = file(&support::example("production"), "compute.tf");
    for needle in [
        // The agent may read its configuration through CloudWatchAgentServerPolicy,
        // which allows parameters named AmazonCloudWatch-* only.
        "policy/CloudWatchAgentServerPolicy",
        r#"name        = "AmazonCloudWatch-${local.name_prefix}""#,
        r#"mem  = { measurement = ["mem_used_percent"] }"#,
        r#"disk = { measurement = ["used_percent"], resources = ["/"], drop_device = true }"#,
        r#"AutoScalingGroupName = "$${aws:AutoScalingGroupName}""#,
        r#"aggregation_dimensions = [["AutoScalingGroupName"]]"#,
        r#""$ctl" -a fetch-config -m ec2 -s -c "ssm:${aws_ssm_parameter.cloudwatch_agent.name}""#,
    ] {
        assert!(
            compute.contains(needle),
            "production compute.tf lacks {needle}"
        );
    }
    // Without NAT the agent reaches the EC2 API (the instance's Auto Scaling group)
    // through an interface endpoint.
    let network = file(&support::example("options"), "network.tf");
    assert!(
        network.contains(r#""monitoring", "kms", "secretsmanager", "ec2"])"#),
        "{network}"
    );
    let monitoring = file(&support::example("production"), "ec2_monitoring.tf");
    for (alarm, metric, threshold) in [
        ("asg_memory_high", "mem_used_percent", "90"),
        ("asg_disk_high", "disk_used_percent", "85"),
    ] {
        let start = monitoring
            .find(&format!(
                r#"resource "aws_cloudwatch_metric_alarm" "{alarm}""#
            ))
            .unwrap_or_else(|| panic!("no {alarm}"));
        let block = &monitoring[start..start + monitoring[start..].find("\n}\n").unwrap()];
        for needle in [
            r#"namespace           = "CWAgent""#.to_string(),
            format!(r#"metric_name         = "{metric}""#),
            "dimensions          = { AutoScalingGroupName = aws_autoscaling_group.app.name }"
                .to_string(),
            r#"statistic           = "Maximum""#.to_string(),
            format!("threshold           = {threshold}"),
            "alarm_actions       = [aws_sns_topic.alarms.arn]".to_string(),
        ] {
            assert!(block.contains(&needle), "{alarm} lacks {needle}:\n{block}");
        }
    }

    // The thresholds come from the spec.
    let rendered = support::render_text(
        "name: web\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\nmonitoring:\n  memory_high: 75\n  disk_high: 60.5\n",
    );
    let text = &rendered["ec2_monitoring.tf"];
    assert!(text.contains("threshold           = 75\n"), "{text}");
    assert!(text.contains("threshold           = 60.5\n"), "{text}");
    // ECS keeps Container Insights, with the same memory threshold.
    let rendered = support::render_text(
        "name: web\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, eu-west-1b]\ncompute:\n  kind: ecs\n  image: nginx:1.27\nmonitoring:\n  memory_high: 75\n",
    );
    assert!(rendered.values().all(|text| !text.contains("CWAgent")));
    let text = &rendered["ecs_monitoring.tf"];
    assert!(
        text.contains(r#"metric_name         = "MemoryUtilization""#)
            && text.contains("threshold           = 75\n")
    );
}
