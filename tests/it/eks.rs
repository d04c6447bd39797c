//! Kubernetes on EKS (issue 13): kind exclusivity in the schema, the manifests hagen
//! writes to `k8s/` (what they say, that they validate against the Kubernetes API schemas
//! of the pinned version and pass checkov's Kubernetes checks), and the EKS-only parts of
//! the Terraform module.

use std::path::{Path, PathBuf};
use std::process::Command;

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Value, json};

use crate::support;

fn minimal_eks() -> Value {
    json!({
        "name": "shop",
        "region": "eu-west-1",
        "network": {"cidr": "10.0.0.0/16", "availability_zones": ["eu-west-1a", "eu-west-1b"]},
        "compute": {"kind": "eks", "image": "public.ecr.aws/nginx/nginx-unprivileged:1.27"}
    })
}

fn render_json(spec: &Value) -> hagen::render::Rendered {
    let yaml = serde_json::to_string(spec).unwrap();
    let loaded =
        hagen::load::load_from_bytes(Path::new("spec.yaml"), yaml.into_bytes()).expect("loads");
    assert!(
        hagen::validate::check(&loaded).is_empty(),
        "the spec must be valid"
    );
    let model = hagen::model_from_loaded(&loaded).unwrap();
    hagen::render::render(&model, &hagen::render::builtin_templates()).unwrap()
}

/// One YAML document as JSON, so tests can index it.
fn to_json(node: &Yaml) -> Value {
    match node {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => json!(b),
        Yaml::Value(Scalar::Integer(i)) => json!(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => json!(s),
        Yaml::Representation(text, _, _) => json!(text),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let key = match to_json(key) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(value))
                })
                .collect(),
        ),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

fn manifest(rendered: &hagen::render::Rendered, file: &str) -> Value {
    let text = rendered
        .get(&format!("k8s/{file}"))
        .unwrap_or_else(|| panic!("k8s/{file} is rendered"));
    let documents = Yaml::load_from_str(text).unwrap_or_else(|err| panic!("{file}: {err}"));
    assert_eq!(documents.len(), 1, "{file} holds one document");
    to_json(&documents[0])
}

#[test]
fn ec2_and_ecs_only_keys_under_kind_eks_are_errors_at_the_key() {
    let mut spec = minimal_eks();
    spec["compute"]["instance_type"] = json!("t3.small");
    spec["compute"]["secrets"] = json!({"A": "arn:aws:ssm:eu-west-1:123456789012:parameter/a"});
    spec["compute"]["container_health_check"] = json!({"command": ["true"]});
    assert_eq!(
        crate::support::schema_error_paths(&spec),
        [
            "/compute/container_health_check",
            "/compute/instance_type",
            "/compute/secrets"
        ]
    );
}

#[test]
fn eks_only_keys_under_other_kinds_are_errors_at_the_key() {
    for compute in [
        json!({"kind": "ecs", "image": "nginx", "admins": [], "public_access_cidrs": []}),
        json!({"admins": [], "public_access_cidrs": []}),
    ] {
        let mut spec = minimal_eks();
        spec["compute"] = compute;
        assert_eq!(
            crate::support::schema_error_paths(&spec),
            ["/compute/admins", "/compute/public_access_cidrs"]
        );
    }
}

#[test]
fn the_shared_container_keys_apply_to_eks() {
    let mut spec = minimal_eks();
    spec["compute"]["cpu"] = json!(1024);
    spec["compute"]["memory"] = json!(3072);
    spec["compute"]["environment"] = json!({"A": "b"});
    spec["compute"]["read_only_root_filesystem"] = json!(false);
    spec["compute"]["log_retention_days"] = json!(30);
    assert!(crate::support::schema_error_paths(&spec).is_empty());
    let mut no_image = minimal_eks();
    no_image["compute"] = json!({"kind": "eks"});
    assert_eq!(crate::support::schema_error_paths(&no_image), ["/compute"]);
}

#[test]
fn manifests_carry_the_spec_sizes_probes_scaling_and_hardening() {
    let mut spec = minimal_eks();
    spec["load_balancer"] = json!({"health_check": {"path": "/ready", "port": 9090, "interval": 15, "timeout": 4, "unhealthy_threshold": 4}});
    spec["compute"]["port"] = json!(3000);
    spec["compute"]["cpu"] = json!(512);
    spec["compute"]["memory"] = json!(2048);
    spec["compute"]["min_size"] = json!(3);
    spec["compute"]["max_size"] = json!(9);
    spec["compute"]["health_check_grace_period"] = json!(45);
    // YAML 1.1 would read a bare `on` as a boolean: names and values must stay strings.
    spec["compute"]["environment"] = json!({"on": "yes", "LOG_LEVEL": "debug"});
    spec["compute"]["scaling"] =
        json!({"policy": "step", "scale_out_above": 80, "scale_in_below": 40, "cooldown": 600});
    let rendered = render_json(&spec);

    let deployment = manifest(&rendered, "deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(
        deployment["spec"].get("replicas"),
        None,
        "the HPA owns replicas"
    );
    assert_eq!(pod["serviceAccountName"], "shop");
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let spread = pod["topologySpreadConstraints"].as_array().unwrap();
    assert!(
        spread
            .iter()
            .any(|c| c["topologyKey"] == "topology.kubernetes.io/zone"
                && c["whenUnsatisfiable"] == "DoNotSchedule")
    );
    let container = &pod["containers"][0];
    assert_eq!(container["resources"]["requests"]["cpu"], "500m");
    assert_eq!(container["resources"]["limits"]["memory"], "2048Mi");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    assert_eq!(container["readinessProbe"]["httpGet"]["port"], 9090);
    assert_eq!(container["livenessProbe"]["initialDelaySeconds"], 45);
    assert_eq!(container["livenessProbe"]["periodSeconds"], 15);
    assert_eq!(container["livenessProbe"]["failureThreshold"], 4);
    let ports: Vec<&Value> = container["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["containerPort"])
        .collect();
    assert_eq!(ports, [&json!(3000), &json!(9090)]);
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(
        container["env"],
        json!([{"name": "LOG_LEVEL", "value": "debug"}, {"name": "on", "value": "yes"}])
    );
    assert_eq!(container["envFrom"][0]["configMapRef"]["name"], "terraform");
    // A stopping pod waits for its deregistration from the target group (30 s delay in
    // load_balancer.tf is the ALB's own drain) before the app gets SIGTERM.
    let wait = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_i64()
        .unwrap();
    assert!(wait > 0 && pod["terminationGracePeriodSeconds"].as_i64().unwrap() > wait);

    let hpa = manifest(&rendered, "horizontalpodautoscaler.yaml");
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(hpa["spec"]["minReplicas"], 3);
    assert_eq!(hpa["spec"]["maxReplicas"], 9);
    // A step band becomes its midpoint.
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        60
    );
    assert_eq!(
        hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
        600
    );
    assert_eq!(
        hpa["spec"]["behavior"]["scaleUp"]["stabilizationWindowSeconds"],
        0
    );

    // The ALB's health checks reach the extra port too, inside the cluster and at the
    // security groups.
    let policy = manifest(&rendered, "networkpolicy.yaml");
    let allowed: Vec<&Value> = policy["spec"]["ingress"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["port"])
        .collect();
    assert_eq!(allowed, [&json!(3000), &json!(9090)]);
    let sources: Vec<&Value> = policy["spec"]["ingress"][0]["from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["ipBlock"]["cidr"])
        .collect();
    assert_eq!(sources, [&json!("10.0.128.0/22"), &json!("10.0.132.0/22")]);
    let groups = &rendered["security_groups.tf"];
    assert!(
        groups.contains("security_group_id            = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id\n  description                  = \"Health checks from the load balancer\""),
        "{groups}"
    );
    assert!(!groups.contains("resource \"aws_security_group\" \"app\""));
}

#[test]
fn the_target_group_binding_follows_the_service_and_gets_the_arn_from_terraform() {
    let rendered = render_json(&minimal_eks());
    let binding = manifest(&rendered, "targetgroupbinding.yaml");
    let service = manifest(&rendered, "service.yaml");
    assert_eq!(binding["apiVersion"], "eks.amazonaws.com/v1");
    assert_eq!(binding["spec"]["targetType"], "ip");
    assert_eq!(
        binding["spec"]["serviceRef"]["name"],
        service["metadata"]["name"]
    );
    assert_eq!(
        binding["spec"]["serviceRef"]["port"],
        service["spec"]["ports"][0]["port"]
    );
    let kustomization = manifest(&rendered, "kustomization.yaml");
    let replacement = &kustomization["replacements"][0];
    assert_eq!(replacement["source"]["fieldPath"], "data.TARGET_GROUP_ARN");
    assert_eq!(
        replacement["targets"][0]["select"]["kind"],
        "TargetGroupBinding"
    );
    assert_eq!(
        replacement["targets"][0]["fieldPaths"],
        json!(["spec.targetGroupARN"])
    );
    // Every manifest in k8s/ is a resource of the kustomization, and nothing else is.
    let mut listed: Vec<String> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut files: Vec<String> = rendered
        .keys()
        .filter_map(|path| path.strip_prefix("k8s/"))
        .filter(|file| *file != "kustomization.yaml")
        .map(str::to_string)
        .collect();
    files.sort();
    assert_eq!(listed, files);
    // The env file's keys come from the module's output.
    let eks = &rendered["eks.tf"];
    assert!(
        eks.contains("TARGET_GROUP_ARN = aws_lb_target_group.app.arn"),
        "{eks}"
    );
    // The pods may only join a group tagged with their cluster.
    assert!(
        rendered["load_balancer.tf"].contains("\"eks:eks-cluster-name\" = local.eks_cluster_name")
    );
}

#[test]
fn other_kinds_render_no_manifests_and_no_cluster() {
    for spec in support::example_specs() {
        let rendered = support::render(&spec);
        let is_eks = rendered.contains_key("eks.tf");
        assert_eq!(
            rendered.keys().any(|path| path.starts_with("k8s/")),
            is_eks,
            "{}",
            spec.display()
        );
    }
}

#[test]
fn the_private_endpoint_is_the_default_and_public_access_is_the_specs_networks() {
    let private = render_json(&minimal_eks());
    let eks = &private["eks.tf"];
    assert!(eks.contains("endpoint_private_access = true"), "{eks}");
    assert!(eks.contains("endpoint_public_access  = false"), "{eks}");
    assert!(!eks.contains("public_access_cidrs"), "{eks}");
    assert!(
        !eks.contains("CKV_AWS_39"),
        "no skip without a public endpoint"
    );

    let mut spec = minimal_eks();
    spec["compute"]["public_access_cidrs"] = json!(["203.0.113.0/24"]);
    spec["compute"]["admins"] = json!(["arn:aws:iam::123456789012:role/ops"]);
    let public = render_json(&spec);
    let eks = &public["eks.tf"];
    assert!(eks.contains("endpoint_public_access  = true"), "{eks}");
    assert!(
        eks.contains("public_access_cidrs     = [\"203.0.113.0/24\"]"),
        "{eks}"
    );
    assert!(
        eks.contains("for_each = toset([\"arn:aws:iam::123456789012:role/ops\"])"),
        "{eks}"
    );
}

/// The kubernetes-validate executable: on PATH, or where `.ci/run` installs it.
fn kubernetes_validate() -> Option<PathBuf> {
    let ci_copy = support::repo_root().join("target/ci/bin/kubernetes-validate");
    support::require_tool(
        "kubernetes-validate",
        support::on_path("kubernetes-validate").or_else(|| ci_copy.exists().then_some(ci_copy)),
        "run `bash .ci/run` once (it installs the pinned kubernetes-validate into target/ci) or pip install -r .ci/requirements/kubernetes-validate.txt",
    )
}

/// Manifests of built-in Kubernetes kinds; the TargetGroupBinding (an EKS custom
/// resource) and the kustomization are not in the Kubernetes API schemas.
fn core_manifests(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.ends_with(".yaml")
                && name != "kustomization.yaml"
                && name != "targetgroupbinding.yaml"
        })
        .collect();
    files.sort();
    files
}

fn validate(tool: &Path, files: &[PathBuf]) -> (bool, String) {
    let version = format!("{}.0", hagen::model::KUBERNETES_VERSION);
    let output = Command::new(tool)
        .args(["--strict", "--kubernetes-version", &version])
        .args(files)
        .output()
        .expect("kubernetes-validate starts");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn eks_manifests_validate_against_the_pinned_kubernetes_api_schemas() {
    let Some(tool) = kubernetes_validate() else {
        return;
    };
    for spec in support::example_specs() {
        let rendered = support::render(&spec);
        if !rendered.contains_key("k8s/kustomization.yaml") {
            continue;
        }
        let dir = std::env::temp_dir().join(format!(
            "hagen-k8s-validate-{}-{}",
            std::process::id(),
            support::example_name(&spec)
        ));
        support::write_fresh(&rendered, &dir);
        let files = core_manifests(&dir.join("k8s"));
        assert!(files.len() >= 8, "{files:?}");
        let (ok, text) = validate(&tool, &files);
        assert!(ok, "{}: {text}", spec.display());
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy();
            assert!(
                text.lines()
                    .any(|line| line.contains(&*name) && line.contains("passed")),
                "{name} was not validated:\n{text}"
            );
        }
        // Strict validation catches what a cluster would refuse: an unknown field.
        let deployment = dir.join("k8s/deployment.yaml");
        let text = std::fs::read_to_string(&deployment).unwrap();
        std::fs::write(
            &deployment,
            text.replace(
                "imagePullPolicy: Always",
                "imagePullPolicy: Always\n          imagePulPolicy: Always",
            ),
        )
        .unwrap();
        let (ok, text) = validate(&tool, &[deployment]);
        assert!(!ok, "a misspelt field must fail strict validation:\n{text}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn eks_manifests_pass_checkov_kubernetes_checks() {
    let Some(checkov) = crate::terraform::checkov() else {
        return;
    };
    for spec in support::example_specs() {
        let rendered = support::render(&spec);
        if !rendered.contains_key("k8s/kustomization.yaml") {
            continue;
        }
        let dir = std::env::temp_dir().join(format!(
            "hagen-k8s-checkov-{}-{}",
            std::process::id(),
            support::example_name(&spec)
        ));
        support::write_fresh(&rendered, &dir);
        let k8s = dir.join("k8s");
        let result = crate::terraform::run_checkov(
            &checkov,
            &["--framework", "kubernetes", "-d", k8s.to_str().unwrap()],
            &format!("kubernetes {}", support::example_name(&spec)),
        );
        std::fs::remove_dir_all(&dir).ok();
        result.unwrap_or_else(|problems| panic!("{problems}"));
    }
}
