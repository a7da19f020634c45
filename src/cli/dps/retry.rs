//! When an answer is worth another try, and how long to wait first: 408, 429 and 5xx are
//! transient (every DPS SDK says so); the wait is the answer's `Retry-After` (seconds), else
//! an exponential backoff from 1 s, doubled each time up to 16 s, with up to half again of
//! random jitter. Everything else is final.

use std::time::Duration;

/// Tries of one request in all (the first and the retries).
pub(crate) const MAX_TRIES: u32 = 6;
/// Longest wait honoured from `Retry-After`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether an answer with `status` may be retried.
pub(crate) fn is_transient(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// The seconds of a `Retry-After` header (the HTTP-date form is not used by DPS).
pub(crate) fn retry_after_seconds(value: Option<&str>) -> Option<u64> {
    value.and_then(|v| v.trim().parse().ok())
}

/// The wait before try number `tries + 1`, after `tries` tries.
pub(crate) fn wait(tries: u32, retry_after: Option<u64>) -> Duration {
    if let Some(s) = retry_after {
        return Duration::from_secs(s).min(MAX_RETRY_AFTER);
    }
    let base = Duration::from_secs(1u64 << tries.saturating_sub(1).min(4));
    let mut byte = [0u8; 1];
    let jitter = match getrandom::fill(&mut byte) {
        Ok(()) => base.mul_f64(f64::from(byte[0]) / 510.0),
        Err(_) => Duration::ZERO,
    };
    base + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_statuses_and_waits() {
        assert!(is_transient(429) && is_transient(503) && is_transient(408));
        assert!(
            !is_transient(400) && !is_transient(401) && !is_transient(409) && !is_transient(412)
        );
        assert_eq!(wait(1, Some(3)), Duration::from_secs(3));
        assert_eq!(wait(1, Some(3600)), MAX_RETRY_AFTER);
        for (tries, base) in [(1, 1), (2, 2), (3, 4), (5, 16), (9, 16)] {
            let w = wait(tries, None);
            let base = Duration::from_secs(base);
            assert!(w >= base && w <= base.mul_f64(1.5), "{tries}: {w:?}");
        }
        assert_eq!(retry_after_seconds(Some(" 2 ")), Some(2));
        assert_eq!(
            retry_after_seconds(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
    }
}
