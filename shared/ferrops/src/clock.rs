//! The one place that reads the system clock.
//!
//! Handlers take the time as an argument, so their decisions can be tested at any instant; the
//! invocation reads it here once and passes it down. `clippy.toml` forbids
//! `SystemTime::now` everywhere else.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time.
#[allow(clippy::disallowed_methods)]
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// Whole seconds since the Unix epoch: DynamoDB TTLs, ledger stamps and continuation tokens use
/// this form. A clock set before 1970 reads as 0 rather than failing the invocation.
pub fn epoch_seconds() -> u64 {
    seconds_since_epoch(now())
}

/// `t` in whole seconds since the Unix epoch, 0 for a time before it.
pub fn seconds_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_before_the_epoch_read_as_zero() {
        assert_eq!(seconds_since_epoch(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(
            seconds_since_epoch(UNIX_EPOCH + Duration::from_millis(90_500)),
            90
        );
    }

    #[test]
    fn epoch_seconds_is_after_this_code_was_written() {
        assert!(epoch_seconds() > 1_764_000_000);
    }
}
