//! RDS engine major versions: their parameter group family and the end of RDS standard
//! support, ONE table to update with AWS's release calendars:
//! - PostgreSQL: <https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html>
//! - MySQL: <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html>
//!
//! The module sets `engine_lifecycle_support = "open-source-rds-extended-support-disabled"`
//! (no silent Extended Support bill). RDS then refuses to *create* an instance of a major
//! version past its end of standard support
//! (<https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html>,
//! `EngineLifecycleSupport`), so such versions are rejected at validation.

use crate::spec::Engine;

/// The month the end-of-support dates below were compared with. A constant, not the
/// clock, so a spec validates the same on every day; update it with the table.
pub const CHECKED: &str = "2026-11";

/// One engine major version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Major {
    pub engine: Engine,
    /// As written in `engine_version` and after the family's engine name: `16`, `8.4`.
    pub major: &'static str,
    /// Last day of RDS standard support (`YYYY-MM-DD`); None for a major released so
    /// recently that the table has no end date for it yet (in standard support).
    pub standard_support_ends: Option<&'static str>,
}

const fn m(engine: Engine, major: &'static str, ends: Option<&'static str>) -> Major {
    Major {
        engine,
        major,
        standard_support_ends: ends,
    }
}

pub const MAJORS: &[Major] = &[
    m(Engine::Postgres, "11", Some("2024-02-29")),
    m(Engine::Postgres, "12", Some("2025-02-28")),
    m(Engine::Postgres, "13", Some("2026-02-28")),
    m(Engine::Postgres, "14", Some("2027-02-28")),
    m(Engine::Postgres, "15", Some("2028-02-29")),
    m(Engine::Postgres, "16", Some("2029-02-28")),
    m(Engine::Postgres, "17", Some("2030-02-28")),
    // GA on RDS in 2025; the calendar above has its dates.
    m(Engine::Postgres, "18", None),
    m(Engine::Mysql, "5.7", Some("2024-02-29")),
    m(Engine::Mysql, "8.0", Some("2026-07-31")),
    m(Engine::Mysql, "8.4", Some("2029-07-31")),
    // The second MySQL LTS, GA on RDS in 2026:
    // <https://aws.amazon.com/blogs/database/amazon-rds-for-mysql-lts-version-9-7-is-now-generally-available/>.
    m(Engine::Mysql, "9.7", None),
];

/// Default versions: majors in standard support for years to come. The module pins the
/// major only and RDS picks (and later upgrades) the minor version.
pub const DEFAULT_POSTGRES_VERSION: &str = "16";
/// MySQL 8.4 is the LTS release (8.0 left standard support on 2026-07-31).
pub const DEFAULT_MYSQL_VERSION: &str = "8.4";

impl Major {
    /// The parameter group family: `postgres16`, `mysql8.4`.
    pub fn family(&self) -> String {
        match self.engine {
            Engine::Postgres => format!("postgres{}", self.major),
            Engine::Mysql => format!("mysql{}", self.major),
        }
    }

    pub fn in_standard_support(&self) -> bool {
        self.standard_support_ends
            .is_none_or(|ends| ends[..7] > *CHECKED)
    }
}

pub fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "PostgreSQL",
        Engine::Mysql => "MySQL",
    }
}

/// The major version an `engine_version` belongs to: PostgreSQL 10+ counts majors by the
/// first number (`16.4` -> `16`), MySQL by the first two (`8.4.3` -> `8.4`).
pub fn major_of(engine: Engine, version: &str) -> Result<&'static Major, String> {
    let parts: Vec<&str> = version.split('.').collect();
    let major = match engine {
        Engine::Postgres => parts[0].to_string(),
        Engine::Mysql if parts.len() >= 2 => format!("{}.{}", parts[0], parts[1]),
        Engine::Mysql => {
            return Err(format!(
                "MySQL version `{version}` names no major version: RDS MySQL majors are `major.minor` (8.0, 8.4, 9.7)"
            ));
        }
    };
    MAJORS
        .iter()
        .find(|m| m.engine == engine && m.major == major)
        .ok_or_else(|| {
            format!(
                "RDS has no {} major version {major} (from `{version}`)",
                engine_name(engine)
            )
        })
}

/// The majors in standard support, for hints: `16, 17, 18`.
pub fn supported(engine: Engine) -> String {
    MAJORS
        .iter()
        .filter(|m| m.engine == engine && m.in_standard_support())
        .map(|m| m.major)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_the_major_version() {
        let family = |engine, version| major_of(engine, version).map(|m| m.family());
        assert_eq!(family(Engine::Postgres, "16.4").unwrap(), "postgres16");
        assert_eq!(family(Engine::Postgres, "17").unwrap(), "postgres17");
        assert_eq!(family(Engine::Mysql, "8.4.3").unwrap(), "mysql8.4");
        assert_eq!(family(Engine::Mysql, "8.0").unwrap(), "mysql8.0");
        assert!(
            family(Engine::Mysql, "8")
                .unwrap_err()
                .contains("major.minor")
        );
        assert!(
            family(Engine::Postgres, "9")
                .unwrap_err()
                .contains("no PostgreSQL major version 9")
        );
        assert!(family(Engine::Mysql, "9.1").is_err());
        assert_eq!(family(Engine::Mysql, "9.7.0").unwrap(), "mysql9.7");
    }

    #[test]
    fn defaults_are_in_standard_support_and_old_majors_are_not() {
        for (engine, version) in [
            (Engine::Postgres, DEFAULT_POSTGRES_VERSION),
            (Engine::Mysql, DEFAULT_MYSQL_VERSION),
        ] {
            assert!(major_of(engine, version).unwrap().in_standard_support());
        }
        assert!(
            !major_of(Engine::Mysql, "8.0.39")
                .unwrap()
                .in_standard_support()
        );
        assert!(
            !major_of(Engine::Postgres, "13.2")
                .unwrap()
                .in_standard_support()
        );
        assert_eq!(supported(Engine::Mysql), "8.4, 9.7");
    }
}
