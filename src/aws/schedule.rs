//! AWS Backup schedules against the RDS windows.
//!
//! AWS Backup cannot back up an RDS instance during, or within an hour of, its daily
//! backup window or weekly maintenance window: the job fails or is skipped
//! (<https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html>,
//! "backup windows" of Amazon RDS). A job starts somewhere in its start window after the
//! scheduled time, so that whole span must stay an hour clear of both windows. All
//! times are UTC (RDS windows are UTC; the module sets no schedule time zone).

const DAY: u32 = 24 * 60;
const WEEK: u32 = 7 * DAY;
/// The plan rule's `start_window` in minutes (templates/aws/backup.tf.j2).
pub const START_WINDOW: u32 = 60;
/// AWS Backup's required distance from the RDS windows.
pub const MARGIN: u32 = 60;

const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A span of the week in minutes from Sunday 00:00 (end may exceed a week: it wraps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn minutes(&self) -> u32 {
        self.end - self.start
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.overlaps_with_margin(other, 0)
    }

    fn overlaps_with_margin(&self, other: &Span, margin: u32) -> bool {
        // Compare on the unrolled week: the other span shifted a week either way too.
        [0, WEEK, 2 * WEEK].iter().any(|shift| {
            let (a_start, a_end) = (self.start + WEEK, self.end + WEEK);
            let (b_start, b_end) = (other.start + shift, other.end + shift);
            a_start < b_end + margin && b_start < a_end + margin
        })
    }
}

fn clock(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
}

/// The seven daily spans of a `hh:mm-hh:mm` backup window.
pub fn daily_window(text: &str) -> Option<Vec<Span>> {
    let (from, to) = text.split_once('-')?;
    let (from, to) = (clock(from)?, clock(to)?);
    let length = (to + DAY - from) % DAY;
    Some(
        (0..7)
            .map(|day| Span {
                start: day * DAY + from,
                end: day * DAY + from + length,
            })
            .collect(),
    )
}

/// The span of a `ddd:hh:mm-ddd:hh:mm` maintenance window.
pub fn weekly_window(text: &str) -> Option<Span> {
    let (from, to) = text.split_once('-')?;
    let at = |part: &str| -> Option<u32> {
        let (day, time) = part.split_once(':')?;
        let day = DAYS.iter().position(|d| *d == day)? as u32;
        Some(day * DAY + clock(time)?)
    };
    let (from, to) = (at(from)?, at(to)?);
    Some(Span {
        start: from,
        end: from + (to + WEEK - from) % WEEK,
    })
}

/// Values of one cron field: `*`, `?`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s` and lists of
/// these; `names` maps names (`MON`) to numbers.
fn field(text: &str, low: u32, high: u32, names: &[(&str, u32)]) -> Result<Vec<u32>, String> {
    let value = |v: &str| -> Result<u32, String> {
        let upper = v.to_ascii_uppercase();
        names
            .iter()
            .find(|(name, _)| *name == upper)
            .map(|(_, n)| *n)
            .or_else(|| v.parse().ok())
            .filter(|n| (low..=high).contains(n))
            .ok_or_else(|| format!("`{v}` is not a value from {low} to {high}"))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("`{step}` is not a step"))?,
            ),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" | "?" => (low, high),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // `a/s` runs from a to the end of the field.
                None if step > 1 => (value(range)?, high),
                None => {
                    let v = value(range)?;
                    (v, v)
                }
            },
        };
        out.extend((from..=to).step_by(step as usize));
    }
    Ok(out)
}

/// Start times in the week of an AWS cron expression `cron(min hour dom month dow year)`
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/events/ScheduledEvents.html#CronExpressions>).
/// A day-of-month schedule can fall on any weekday, so it counts as every day.
pub fn cron_starts(expression: &str) -> Result<Vec<u32>, String> {
    let inner = expression
        .strip_prefix("cron(")
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or("not a `cron(...)` expression")?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minutes, hours, day_of_month, _month, day_of_week, _year] = fields.as_slice() else {
        return Err(format!(
            "an AWS cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not {}",
            fields.len()
        ));
    };
    let minutes = field(minutes, 0, 59, &[])?;
    let hours = field(hours, 0, 23, &[])?;
    const WEEKDAYS: [(&str, u32); 7] = [
        ("SUN", 1),
        ("MON", 2),
        ("TUE", 3),
        ("WED", 4),
        ("THU", 5),
        ("FRI", 6),
        ("SAT", 7),
    ];
    let days: Vec<u32> = if !matches!(*day_of_month, "*" | "?") || matches!(*day_of_week, "*" | "?")
    {
        (1..=7).collect()
    } else {
        // `L` (last) and `#n` (nth) pick a weekday of the month: that weekday.
        let plain = day_of_week.replace('L', "");
        let plain = plain.split('#').next().unwrap_or_default();
        field(if plain.is_empty() { "7" } else { plain }, 1, 7, &WEEKDAYS)?
    };
    let mut starts = Vec::new();
    for day in days {
        for hour in &hours {
            for minute in &minutes {
                starts.push((day - 1) * DAY + hour * 60 + minute);
            }
        }
    }
    Ok(starts)
}

/// The first scheduled start (minute of the week) that collides with a window, as
/// `ddd hh:mm`.
pub fn first_collision(starts: &[u32], windows: &[Span]) -> Option<String> {
    starts.iter().find_map(|start| {
        let job = Span {
            start: *start,
            end: start + START_WINDOW,
        };
        windows
            .iter()
            .any(|window| job.overlaps_with_margin(window, MARGIN))
            .then(|| {
                format!(
                    "{} {:02}:{:02}",
                    DAYS[(start / DAY) as usize],
                    start % DAY / 60,
                    start % 60
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collides(schedule: &str, backup: &str, maintenance: &str) -> Option<String> {
        let mut windows = daily_window(backup).unwrap();
        windows.push(weekly_window(maintenance).unwrap());
        first_collision(&cron_starts(schedule).unwrap(), &windows)
    }

    #[test]
    fn old_defaults_collide_on_sundays_and_new_ones_never() {
        // 05:00 daily against sun:04:30-sun:05:30.
        assert_eq!(
            collides("cron(0 5 * * ? *)", "03:00-04:00", "sun:04:30-sun:05:30").as_deref(),
            Some("sun 05:00")
        );
        assert_eq!(
            collides("cron(0 0 * * ? *)", "03:00-04:00", "sun:04:30-sun:05:30"),
            None
        );
        // The production example before the fix: inside the backup window every day.
        assert!(collides("cron(0 3 * * ? *)", "03:00-04:00", "sun:04:30-sun:05:30").is_some());
    }

    #[test]
    fn margins_and_wrapping() {
        // Ends 02:00, exactly an hour before the 03:00 window: allowed.
        assert_eq!(
            collides("cron(0 1 * * ? *)", "03:00-04:00", "mon:10:00-mon:11:00"),
            None
        );
        assert!(collides("cron(5 1 * * ? *)", "03:00-04:00", "mon:10:00-mon:11:00").is_some());
        // A window over midnight, and a maintenance window over the week's end.
        assert!(collides("cron(30 0 * * ? *)", "23:30-00:30", "mon:10:00-mon:11:00").is_some());
        assert_eq!(
            collides("cron(0 1 ? * SAT *)", "12:00-13:00", "sun:23:30-mon:00:30").as_deref(),
            None
        );
        assert!(
            collides(
                "cron(30 22 ? * SAT *)",
                "12:00-13:00",
                "sun:00:00-sun:00:30"
            )
            .is_some()
        );
        // Weekly on Sunday 02:30 (the options example): clear of 01:00-02:00? No, 30 minutes.
        assert!(collides("cron(30 2 ? * SUN *)", "01:00-02:00", "sat:03:00-sat:04:00").is_some());
        assert_eq!(
            collides("cron(0 5 ? * SUN *)", "01:00-02:00", "sat:03:00-sat:04:00"),
            None
        );
    }

    #[test]
    fn window_lengths_and_overlaps() {
        let daily = daily_window("23:45-00:15").unwrap();
        assert_eq!(daily[0].minutes(), 30);
        let weekly = weekly_window("sat:23:30-sun:00:30").unwrap();
        assert_eq!(weekly.minutes(), 60);
        // Saturday 23:45 is inside Saturday 23:30 to Sunday 00:30.
        assert!(daily.iter().any(|d| d.overlaps(&weekly)));
        let weekly = weekly_window("sun:04:00-sun:04:30").unwrap();
        assert!(
            !daily_window("03:30-04:00")
                .unwrap()
                .iter()
                .any(|d| d.overlaps(&weekly))
        );
    }

    #[test]
    fn cron_fields() {
        assert_eq!(cron_starts("cron(0 5 * * ? *)").unwrap().len(), 7);
        assert_eq!(cron_starts("cron(0 5 ? * MON-FRI *)").unwrap().len(), 5);
        assert_eq!(
            cron_starts("cron(0 */6 ? * 1 *)").unwrap(),
            vec![0, 360, 720, 1080]
        );
        assert_eq!(cron_starts("cron(0,30 5 1 * ? *)").unwrap().len(), 14);
        assert_eq!(
            cron_starts("cron(0 5 ? * 6L *)").unwrap(),
            vec![5 * DAY + 300]
        );
        assert_eq!(cron_starts("cron(0 5 ? * 2#1 *)").unwrap(), vec![DAY + 300]);
        assert!(
            cron_starts("cron(0 5 * *)")
                .unwrap_err()
                .contains("6 fields")
        );
        assert!(
            cron_starts("cron(0 25 * * ? *)")
                .unwrap_err()
                .contains("`25`")
        );
    }
}
