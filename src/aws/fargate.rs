//! Fargate task sizes: the one table hagen checks specs against
//! (`rules.rs`), writes into the module's variable validation (`variables.tf`) and quotes
//! in hints. The schema's `compute.cpu` enum lists the same CPU sizes (a test keeps them
//! equal). Source: "Task CPU and memory" in the Amazon ECS developer guide
//! (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size),
//! checked 2026-11.

use serde::Serialize;

/// One CPU size and the memory (MiB) it allows: the listed sizes, or `low..=high` in
/// steps of `step`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Size {
    pub cpu: u32,
    /// Exactly these sizes (empty: the range below).
    pub memory: &'static [u32],
    pub low: u32,
    pub high: u32,
    pub step: u32,
}

const fn range(cpu: u32, low: u32, high: u32, step: u32) -> Size {
    Size {
        cpu,
        memory: &[],
        low,
        high,
        step,
    }
}

pub const SIZES: &[Size] = &[
    Size {
        cpu: 256,
        memory: &[512, 1024, 2048],
        low: 512,
        high: 2048,
        step: 512,
    },
    range(512, 1024, 4096, 1024),
    range(1024, 2048, 8192, 1024),
    range(2048, 4096, 16384, 1024),
    range(4096, 8192, 30720, 1024),
    range(8192, 16384, 61440, 4096),
    range(16384, 32768, 122880, 8192),
];

/// Whether Fargate runs a task of `cpu` units with `memory` MiB.
pub fn allows(cpu: u32, memory: u32) -> bool {
    SIZES.iter().any(|size| {
        size.cpu == cpu
            && if size.memory.is_empty() {
                (size.low..=size.high).contains(&memory)
                    && (memory - size.low).is_multiple_of(size.step)
            } else {
                size.memory.contains(&memory)
            }
    })
}

/// The table in words, for hints: `256 CPU: 512, 1024 or 2048 MiB; 512: 1024-4096 in
/// steps of 1024; ...`.
pub fn describe() -> String {
    SIZES
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let cpu = if i == 0 {
                format!("{} CPU", size.cpu)
            } else {
                size.cpu.to_string()
            };
            if size.memory.is_empty() {
                format!(
                    "{cpu}: {}-{} in steps of {}",
                    size.low, size.high, size.step
                )
            } else {
                let list: Vec<String> = size.memory.iter().map(u32::to_string).collect();
                format!("{cpu}: {} MiB", list.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert!(allows(256, 512));
        assert!(!allows(256, 1536));
        assert!(!allows(256, 4096));
        assert!(allows(1024, 3072));
        assert!(!allows(1024, 1024));
        assert!(allows(8192, 20480));
        assert!(!allows(8192, 18432));
        assert!(allows(16384, 122880));
        assert!(!allows(300, 1024));
        assert!(describe().contains("16384: 32768-122880 in steps of 8192"));
    }

    #[test]
    fn the_schema_lists_the_same_cpu_sizes() {
        let schema = crate::schema::schema();
        let table: Vec<u64> = SIZES.iter().map(|s| u64::from(s.cpu)).collect();
        // The spec's key and the environments' override of it.
        let environment = &schema["properties"]["environments"]["additionalProperties"];
        for compute in [
            &schema["properties"]["compute"],
            &environment["properties"]["compute"],
        ] {
            let cpus: Vec<u64> = compute["properties"]["cpu"]["enum"]
                .as_array()
                .expect("a cpu enum")
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(cpus, table);
        }
    }
}
