//! Durations on the command line, and when to try again.

use std::time::Duration;

/// `500ms`, `30s`, `2m`, `1h`, or a number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (for example 500ms, 30s, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "'{text}': unknown unit '{unit}' (use ms, s, m or h)"
            ))
        }
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e9) {
        return Err(format!("'{text}' must be a positive duration"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The first delay; each retry doubles it, up to [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest delay between two attempts (unless the daemon's hint asks for more).
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// The delay before retry number `retry` (1 for the first): `FIRST_DELAY × 2^(retry-1)`, at
/// most [`MAX_DELAY`], scaled by a jitter factor in [0.5, 1) so that many clients hit by
/// the same rate limit do not come back together; a `hint` (the registry's retry-after)
/// is a floor.
pub fn backoff(retry: u32, jitter: f64, hint: Option<Duration>) -> Duration {
    let doubled = FIRST_DELAY.saturating_mul(1u32 << retry.saturating_sub(1).min(16));
    let base = doubled.min(MAX_DELAY);
    let delay = base.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    hint.map_or(delay, |h| delay.max(h))
}

/// A number in [0, 1) from the clock and the process id: jitter needs no better.
pub fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut x = u64::from(nanos) ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A retry-after hint in a failure message: `retry after 20s`, `Retry-After: 30`,
/// `retry-after=1.5` (seconds unless a unit follows).
pub fn retry_after_hint(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    for key in ["retry-after", "retry after"] {
        let Some(at) = lower.find(key) else { continue };
        let rest = lower[at + key.len()..].trim_start_matches([':', '=', ' ']);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .unwrap_or(rest.len());
        let token = &rest[..end];
        let token = token
            .strip_suffix("seconds")
            .or_else(|| token.strip_suffix("sec"))
            .unwrap_or(token);
        if let Ok(duration) = parse_duration(token) {
            return Some(duration);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        for bad in ["", "s", "0", "-1s", "3d", "1e999"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_hints() {
        assert_eq!(backoff(1, 0.0, None), Duration::from_millis(500));
        assert_eq!(backoff(1, 1.0, None), Duration::from_secs(1));
        assert_eq!(backoff(3, 1.0, None), Duration::from_secs(4));
        assert_eq!(backoff(30, 1.0, None), MAX_DELAY);
        let hint = Some(Duration::from_secs(20));
        assert_eq!(backoff(1, 0.3, hint), Duration::from_secs(20));
        assert!((0.0..1.0).contains(&jitter()));
    }

    #[test]
    fn hints() {
        let hint = |m| retry_after_hint(m);
        assert_eq!(
            hint("toomanyrequests: retry after 20s"),
            Some(Duration::from_secs(20))
        );
        assert_eq!(hint("Retry-After: 7"), Some(Duration::from_secs(7)));
        assert_eq!(hint("retry after 3 seconds"), Some(Duration::from_secs(3)));
        assert_eq!(
            hint("toomanyrequests: You have reached your pull rate limit."),
            None
        );
    }
}
