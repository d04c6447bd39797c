//! A tiny fake AWS endpoint for offline `terraform plan`.
//!
//! A plan reads data sources, and some of them call AWS even with every `skip_*` flag set
//! (`aws_caller_identity` calls STS GetCallerIdentity). Pointing those services'
//! endpoints at this server lets the plan run with no network and no real account, so
//! checkov can scan a plan in which variables and conditionals are resolved. It answers
//! only the read calls the generated module's data sources make, with fixed, well-formed
//! values; anything else gets an AWS-style error naming the call, so a new data source
//! shows up as a clear failure rather than a hang.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;

/// Account every fake answer belongs to.
pub const ACCOUNT_ID: &str = "123456789012";

/// The services whose endpoints must point at the fake in the provider configuration.
pub const SERVICES: &[&str] = &["ec2", "logs", "ssm", "sts"];

/// Base URL of the fake (started on first use, shared by the whole test process).
pub fn endpoint() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake AWS endpoint");
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        url
    })
}

struct Request {
    /// `X-Amz-Target` for JSON protocols, the `Action` form field for query protocols.
    action: String,
    body: String,
}

fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone socket"));
    let mut writer = stream;
    // HTTP/1.1 keep-alive: the SDK sends several requests over one connection.
    while let Some(request) = read_request(&mut reader) {
        let (status, content_type, body) = answer(&request);
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut content_length = 0;
    let mut target = None;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => content_length = value.trim().parse().ok()?,
            "x-amz-target" => target = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).ok()?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let action = target.unwrap_or_else(|| form_field(&body, "Action").unwrap_or_default());
    Some(Request { action, body })
}

fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

fn answer(request: &Request) -> (&'static str, &'static str, String) {
    const XML: &str = "text/xml";
    const JSON: &str = "application/x-amz-json-1.1";
    match request.action.as_str() {
        "GetCallerIdentity" => (
            "200 OK",
            XML,
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT_ID}:user/hagen-test</Arn>\
                 <UserId>AIDAHAGENTEST</UserId><Account>{ACCOUNT_ID}</Account></GetCallerIdentityResult>\
                 <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>\
                 </GetCallerIdentityResponse>"
            ),
        ),
        // Public SSM parameters such as the latest Amazon Linux AMI id.
        "AmazonSSM.GetParameter" => {
            let name = serde_json::from_str::<serde_json::Value>(&request.body)
                .ok()
                .and_then(|v| v["Name"].as_str().map(str::to_string))
                .unwrap_or_default();
            let body = serde_json::json!({
                "Parameter": {
                    "Name": name,
                    "Type": "String",
                    "Value": "ami-0123456789abcdef0",
                    "Version": 1,
                    "DataType": "aws:ec2:image",
                    "ARN": format!("arn:aws:ssm:eu-west-1::parameter{name}"),
                }
            });
            ("200 OK", JSON, body.to_string())
        }
        // `data "aws_cloudwatch_log_groups"` (database.tf adopts RDS log groups an
        // upgraded stack already has): a new account has none.
        "Logs_20140328.DescribeLogGroups" => ("200 OK", JSON, r#"{"logGroups":[]}"#.to_string()),
        other => (
            "400 Bad Request",
            XML,
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>\
                 <Message>hagen's offline fake AWS endpoint does not answer {other:?}; \
                 add it to tests/support/fake_aws.rs</Message></Error>\
                 <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
            ),
        ),
    }
}
