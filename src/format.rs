//! How numbers read in tables, reports and charts: thousands separators, whole numbers
//! with their sign, minutes per year as short labels. (Files' decimals are
//! [`crate::export::decimal`]: fixed places, so equal results give equal bytes.)

/// An integer with thousands separators.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A quantity rounded to a whole number, with thousands separators (its magnitude).
pub fn whole(value: f64) -> String {
    thousands(libm::round(value.abs()) as u64)
}

/// [`whole`] with its sign: `+1,234` or `−1,234`.
pub fn signed_whole(value: f64) -> String {
    let sign = if value < 0.0 { '−' } else { '+' };
    format!("{sign}{}", whole(value))
}

/// A change in minutes per year with its sign: `+3.2`, `−41`, `0`.
pub fn signed_minutes(minutes: f64) -> String {
    if minutes > 0.0 {
        format!("+{}", minutes_label(minutes))
    } else if minutes < 0.0 {
        format!("−{}", minutes_label(-minutes))
    } else {
        "0".to_string()
    }
}

/// Minutes per year as a short label: `0`, `0.05`, `3.2`, `41`, `1,250`.
pub fn minutes_label(minutes: f64) -> String {
    if minutes == 0.0 {
        "0".to_string()
    } else if minutes < 0.1 {
        format!("{minutes:.3}")
    } else if minutes < 10.0 {
        format!("{minutes:.2}")
    } else if minutes < 1000.0 {
        format!("{minutes:.1}")
    } else {
        thousands(minutes.round() as u64)
    }
}

/// A loss as a short label: [`minutes_label`] below ten thousand, then `45.2 k` and
/// `110.6 M` (scores in weighted user-minutes run to hundreds of millions).
pub fn compact(value: f64) -> String {
    let magnitude = value.abs();
    let text = if magnitude >= 1e6 {
        format!("{:.1} M", magnitude / 1e6)
    } else if magnitude >= 1e4 {
        format!("{:.1} k", magnitude / 1e3)
    } else {
        minutes_label(magnitude)
    };
    if value < 0.0 && text != "0" {
        format!("−{text}")
    } else {
        text
    }
}

/// An interval as `[low, high]` with [`compact`] ends.
pub fn compact_interval((low, high): (f64, f64)) -> String {
    format!("[{}, {}]", compact(low), compact(high))
}
