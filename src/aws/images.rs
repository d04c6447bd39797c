//! Container image references: which ones are in a private ECR repository, and where.

use serde::Serialize;

/// A private ECR image: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcrImage {
    pub account: String,
    pub region: String,
    pub repository: String,
}

/// The ECR repository an image is pulled from, when it is a private ECR image.
pub fn ecr(image: &str) -> Option<EcrImage> {
    let (host, path) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    let [account, "dkr", "ecr", region, ..] = labels.as_slice() else {
        return None;
    };
    let repository = path.split('@').next()?.split(':').next()?;
    Some(EcrImage {
        account: account.to_string(),
        region: region.to_string(),
        repository: repository.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ecr_images() {
        assert_eq!(
            ecr("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/shop:1.2@sha256:abc"),
            Some(EcrImage {
                account: "123456789012".into(),
                region: "eu-west-1".into(),
                repository: "team/shop".into(),
            })
        );
        assert_eq!(ecr("public.ecr.aws/nginx/nginx:1.27"), None);
        assert_eq!(ecr("nginx:1.27"), None);
        assert_eq!(ecr("ghcr.io/acme/shop:1"), None);
    }
}
