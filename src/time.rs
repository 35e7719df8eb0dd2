//! Simulated time: integer microseconds, and the `"45m"` duration syntax of scenario files.
//!
//! Time is an integer so that sums of downtime are exact and results do not depend on the
//! order in which floating-point numbers are added (docs/reliability.md).

use std::fmt;

/// Microseconds in one millisecond.
pub const MICROS_PER_MILLISECOND: u64 = 1_000;
/// Microseconds in one second.
pub const MICROS_PER_SECOND: u64 = 1_000_000;
/// Microseconds in one minute.
pub const MICROS_PER_MINUTE: u64 = 60 * MICROS_PER_SECOND;
/// Microseconds in one hour.
pub const MICROS_PER_HOUR: u64 = 60 * MICROS_PER_MINUTE;
/// Microseconds in one day.
pub const MICROS_PER_DAY: u64 = 24 * MICROS_PER_HOUR;
/// Microseconds in one week.
pub const MICROS_PER_WEEK: u64 = 7 * MICROS_PER_DAY;
/// Microseconds in one year of 365 days (docs/scenario.md: `1y` is 365 days).
pub const MICROS_PER_YEAR: u64 = 365 * MICROS_PER_DAY;

/// A length of simulated time, in whole microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimDuration {
    /// The zero-length duration.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration(micros)
    }

    /// A duration of `hours` whole hours (saturating).
    pub const fn from_hours(hours: u64) -> Self {
        SimDuration(hours.saturating_mul(MICROS_PER_HOUR))
    }

    /// The duration in microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// The duration in hours, as a float (for distribution parameters).
    pub fn as_hours_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_HOUR as f64
    }

    /// The duration in minutes, as a float (for reports).
    pub fn as_minutes_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_MINUTE as f64
    }

    /// Whether this duration is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The sum, saturating at the largest representable duration.
    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for SimDuration {
    /// Writes the duration in the scenario syntax, with the largest unit that keeps it exact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0;
        if micros == 0 {
            return write!(f, "0s");
        }
        const UNITS: [(u64, &str); 7] = [
            (MICROS_PER_YEAR, "y"),
            (MICROS_PER_WEEK, "w"),
            (MICROS_PER_DAY, "d"),
            (MICROS_PER_HOUR, "h"),
            (MICROS_PER_MINUTE, "m"),
            (MICROS_PER_SECOND, "s"),
            (MICROS_PER_MILLISECOND, "ms"),
        ];
        for (unit_micros, unit) in UNITS {
            if micros.is_multiple_of(unit_micros) {
                return write!(f, "{}{unit}", micros / unit_micros);
            }
        }
        // Finer than a millisecond: seconds with six decimals is exact.
        write!(
            f,
            "{}.{:06}s",
            micros / MICROS_PER_SECOND,
            micros % MICROS_PER_SECOND
        )
    }
}

/// A duration for people: `45 s`, `12.5 min`, `3.02 h`, `2.50 d`.
pub fn human(duration: SimDuration) -> String {
    let micros = duration.as_micros() as f64;
    if micros < MICROS_PER_MINUTE as f64 {
        format!("{:.1} s", micros / MICROS_PER_SECOND as f64)
    } else if micros < MICROS_PER_HOUR as f64 {
        format!("{:.1} min", micros / MICROS_PER_MINUTE as f64)
    } else if micros < MICROS_PER_DAY as f64 {
        format!("{:.2} h", micros / MICROS_PER_HOUR as f64)
    } else {
        format!("{:.2} d", micros / MICROS_PER_DAY as f64)
    }
}

/// Why a duration string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The string is empty.
    #[error("the duration is empty; write a number and a unit, e.g. \"45m\"")]
    Empty,
    /// A number with no unit, e.g. `"45"`.
    #[error("\"{0}\" has no unit; add one of ms, s, m, h, d, w, y (e.g. \"{0}m\" for minutes)")]
    MissingUnit(String),
    /// A unit edgesim does not know, e.g. `"45min"`.
    #[error("unknown unit \"{unit}\" in \"{text}\"; use one of ms, s, m, h, d, w, y{hint}")]
    UnknownUnit {
        /// The whole text.
        text: String,
        /// The unit as written.
        unit: String,
        /// A suggestion for a common misspelling.
        hint: String,
    },
    /// A negative duration.
    #[error("\"{0}\" is negative; durations are zero or more")]
    Negative(String),
    /// The number part is not a plain decimal.
    #[error("\"{0}\" is not a duration; write a plain decimal number and a unit, e.g. \"1.5h\"")]
    Malformed(String),
    /// Finer than the simulator's clock.
    #[error("\"{0}\" is not a whole number of microseconds, edgesim's clock tick")]
    FinerThanClock(String),
    /// Larger than the simulator can represent.
    #[error("\"{0}\" is too long; durations must be under about 584,000 years")]
    TooLarge(String),
}

/// Reads a duration such as `"21s"`, `"45m"`, `"1.5h"` or `"1y"` (docs/scenario.md).
///
/// The number is a plain decimal (no sign, no exponent), read exactly: `"1.5h"` is
/// 5,400,000,000 µs with no rounding. Spaces between the number and the unit are allowed,
/// and terms add up: `"1d 1h"` and `"1h30m"` are 25 h and 90 min.
pub fn parse_duration(text: &str) -> Result<SimDuration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    if trimmed.starts_with('-') {
        return Err(DurationError::Negative(trimmed.to_string()));
    }
    // Terms add up: "1d 1h", "1h30m". Each is a number, optional spaces and a unit.
    let mut total = SimDuration::ZERO;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_start = rest.len() - rest[number_end..].trim_start().len();
        let unit_end = rest[unit_start..]
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .map_or(rest.len(), |i| unit_start + i);
        let term = parse_term(&rest[..unit_end])?;
        total = SimDuration(
            total
                .0
                .checked_add(term.0)
                .ok_or_else(|| DurationError::TooLarge(trimmed.to_string()))?,
        );
        rest = rest[unit_end..].trim_start();
    }
    Ok(total)
}

/// One term of a duration: a plain decimal number and its unit.
fn parse_term(trimmed: &str) -> Result<SimDuration, DurationError> {
    let number_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, rest) = trimmed.split_at(number_end);
    let unit = rest.trim_start();
    if number.is_empty() {
        return Err(DurationError::Malformed(trimmed.to_string()));
    }
    let (whole_digits, fraction_digits) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    if (whole_digits.is_empty() && fraction_digits.is_empty()) || fraction_digits.contains('.') {
        return Err(DurationError::Malformed(trimmed.to_string()));
    }
    if unit.is_empty() {
        return Err(DurationError::MissingUnit(trimmed.to_string()));
    }
    let unit_micros = match unit {
        "ms" => MICROS_PER_MILLISECOND,
        "s" => MICROS_PER_SECOND,
        "m" => MICROS_PER_MINUTE,
        "h" => MICROS_PER_HOUR,
        "d" => MICROS_PER_DAY,
        "w" => MICROS_PER_WEEK,
        "y" => MICROS_PER_YEAR,
        other => {
            return Err(DurationError::UnknownUnit {
                text: trimmed.to_string(),
                hint: unit_hint(other),
                unit: other.to_string(),
            });
        }
    };
    // 38 decimal digits always fit a u128; anything longer is far beyond u64 microseconds.
    let digits = format!("{whole_digits}{fraction_digits}");
    let significant = digits.trim_start_matches('0');
    if significant.len() > 30 {
        return Err(DurationError::TooLarge(trimmed.to_string()));
    }
    let mantissa: u128 = if significant.is_empty() {
        0
    } else {
        significant
            .parse()
            .map_err(|_| DurationError::Malformed(trimmed.to_string()))?
    };
    let scaled = mantissa * unit_micros as u128;
    let exponent = u32::try_from(fraction_digits.len())
        .map_err(|_| DurationError::FinerThanClock(trimmed.to_string()))?;
    let divisor = 10u128.checked_pow(exponent);
    let micros = match divisor {
        Some(divisor) if scaled.is_multiple_of(divisor) => scaled / divisor,
        Some(_) => return Err(DurationError::FinerThanClock(trimmed.to_string())),
        // More than 38 decimals: exact only for zero.
        None if scaled == 0 => 0,
        None => return Err(DurationError::FinerThanClock(trimmed.to_string())),
    };
    u64::try_from(micros)
        .map(SimDuration)
        .map_err(|_| DurationError::TooLarge(trimmed.to_string()))
}

fn unit_hint(unit: &str) -> String {
    let suggestion = match unit.to_ascii_lowercase().as_str() {
        "min" | "mins" | "minute" | "minutes" => "m",
        "sec" | "secs" | "second" | "seconds" => "s",
        "hr" | "hrs" | "hour" | "hours" => "h",
        "day" | "days" => "d",
        "week" | "weeks" | "wk" => "w",
        "year" | "years" | "yr" | "yrs" | "a" => "y",
        "msec" | "millisecond" | "milliseconds" => "ms",
        "us" | "µs" | "micros" | "ns" => return " (the finest unit is ms)".to_string(),
        _ => return String::new(),
    };
    format!(" (did you mean \"{suggestion}\"?)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> u64 {
        parse_duration(text).unwrap().as_micros()
    }

    #[test]
    fn every_unit_has_its_hand_computed_length() {
        assert_eq!(micros("250ms"), 250_000);
        assert_eq!(micros("21s"), 21_000_000);
        assert_eq!(micros("45m"), 45 * 60 * 1_000_000);
        assert_eq!(micros("2h"), 7_200_000_000);
        assert_eq!(micros("1d"), 86_400_000_000);
        assert_eq!(micros("1w"), 604_800_000_000);
        // 365 days, not 365.25 (docs/scenario.md).
        assert_eq!(micros("1y"), 31_536_000_000_000);
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(micros("1.5h"), 5_400_000_000);
        assert_eq!(micros("0.25s"), 250_000);
        assert_eq!(micros(".5m"), 30_000_000);
        assert_eq!(micros("2.h"), 7_200_000_000);
    }

    #[test]
    fn zero_and_spaces_are_accepted() {
        assert_eq!(micros("0s"), 0);
        assert_eq!(micros(" 3 h "), 10_800_000_000);
        assert_eq!(micros("0.000001s"), 1);
    }

    #[test]
    fn terms_add_up() {
        assert_eq!(micros("1d 1h"), 25 * 3_600_000_000);
        assert_eq!(micros("1h30m"), 90 * 60_000_000);
        assert_eq!(micros("2 h 30 m"), 150 * 60_000_000);
        assert_eq!(micros("1y 0.5d"), 31_536_000_000_000 + 43_200_000_000);
        assert_eq!(
            parse_duration("1h 30"),
            Err(DurationError::MissingUnit("30".into()))
        );
        assert!(matches!(
            parse_duration("1h 2 hours"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(parse_duration("1d -1h").is_err());
        assert_eq!(
            parse_duration("584000y 584000y"),
            Err(DurationError::TooLarge("584000y 584000y".into()))
        );
    }

    #[test]
    fn malformed_durations_are_explained() {
        assert_eq!(
            parse_duration("45"),
            Err(DurationError::MissingUnit("45".into()))
        );
        assert!(matches!(
            parse_duration("45min"),
            Err(DurationError::UnknownUnit { ref hint, .. }) if hint.contains("\"m\"")
        ));
        assert_eq!(
            parse_duration("-5m"),
            Err(DurationError::Negative("-5m".into()))
        );
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert!(matches!(
            parse_duration("h"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            parse_duration("1.2.3s"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            parse_duration("1e3s"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert_eq!(
            parse_duration("0.0000001s"),
            Err(DurationError::FinerThanClock("0.0000001s".into()))
        );
        assert!(matches!(
            parse_duration("1000000y"),
            Err(DurationError::TooLarge(_))
        ));
    }

    #[test]
    fn human_durations_pick_a_readable_unit() {
        assert_eq!(human(parse_duration("45s").unwrap()), "45.0 s");
        assert_eq!(human(parse_duration("90s").unwrap()), "1.5 min");
        assert_eq!(human(parse_duration("3h").unwrap()), "3.00 h");
        assert_eq!(human(parse_duration("60h").unwrap()), "2.50 d");
    }

    #[test]
    fn display_round_trips_with_the_largest_exact_unit() {
        for text in ["90m", "1y", "21s", "250ms", "2w", "0s", "1.000001s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&parsed.to_string()).unwrap(), parsed);
        }
        assert_eq!(parse_duration("1.5h").unwrap().to_string(), "90m");
        assert_eq!(parse_duration("7d").unwrap().to_string(), "1w");
    }
}
