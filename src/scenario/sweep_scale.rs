//! A sweep of a distribution-valued key by a bare duration (docs/scenario.md, "sweeps"):
//! the distribution keeps its form and spread, and the duration sets its location — the
//! median of a log-normal, the mean of the other forms — by scaling every duration of it
//! by the same factor. A fixed value would silently replace a distribution otherwise
//! (`--vary operations.response=1h` turned a log-normal into a fixed hour).

use super::tree::{Node, NodeValue};
use crate::time::{MICROS_PER_HOUR, MICROS_PER_MILLISECOND, parse_duration};

/// The value to sweep `value` as, where the base tree `base` holds `existing` at the key:
/// `value` itself unless `value` is a bare duration and `existing` a distribution table,
/// which is then scaled (unchanged when the duration is its location already, so that the
/// point at the base's value reproduces the base).
pub fn scaled(existing: Option<&Node>, value: &Node) -> Result<Node, String> {
    let (Some(existing), NodeValue::String(text)) = (existing, &value.value) else {
        return Ok(value.clone());
    };
    let Some(entries) = existing.as_table() else {
        return Ok(value.clone());
    };
    let Ok(target) = parse_duration(text) else {
        return Ok(value.clone());
    };
    let text_of = |key: &str| -> Option<&str> {
        entries
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| match &e.node.value {
                NodeValue::String(s) => Some(s.as_str()),
                _ => None,
            })
    };
    let number_of = |key: &str| -> Option<f64> {
        entries
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| match &e.node.value {
                NodeValue::Float(f) => Some(*f),
                NodeValue::Integer(i) => Some(*i as f64),
                _ => None,
            })
    };
    let micros = |key: &str| -> Option<f64> {
        text_of(key)
            .and_then(|t| parse_duration(t).ok())
            .map(|d| d.as_micros() as f64)
    };
    let Some(form) = text_of("dist") else {
        return Ok(value.clone());
    };
    // Its location, in microseconds.
    let location = match form {
        "lognormal" => micros("median")
            .or_else(|| number_of("mu").map(|mu| libm::exp(mu) * MICROS_PER_HOUR as f64)),
        "exponential" => micros("mean"),
        "gamma" => Some(number_of("shape").unwrap_or(0.0) * micros("scale").unwrap_or(0.0)),
        "weibull" => number_of("shape")
            .and_then(|shape| micros("scale").map(|scale| scale * libm::tgamma(1.0 + 1.0 / shape))),
        "uniform" => Some((micros("min").unwrap_or(0.0) + micros("max").unwrap_or(0.0)) / 2.0),
        "fixed" => micros("value"),
        _ => None,
    };
    let location = match location {
        Some(l) if l > 0.0 && l.is_finite() => l,
        _ => {
            return Err(format!(
                "the scenario gives it as {{ dist = \"{form}\", ... }}, which a duration cannot scale (it has no positive location); sweep whole distributions in [[sweeps]], e.g. values = [{{ dist = \"fixed\", value = \"{text}\" }}]"
            ));
        }
    };
    let factor = target.as_micros() as f64 / location;
    if (factor - 1.0).abs() < 1e-9 {
        return Ok(existing.clone());
    }
    let scaled_entries = entries
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            match (&entry.node.value, entry.key.as_str()) {
                (NodeValue::Float(mu), "mu") => {
                    entry.node.value = NodeValue::Float(mu + libm::log(factor))
                }
                (NodeValue::Integer(mu), "mu") => {
                    entry.node.value = NodeValue::Float(*mu as f64 + libm::log(factor));
                }
                (NodeValue::String(t), key) if key != "dist" => {
                    if let Ok(duration) = parse_duration(t) {
                        let ms = libm::round(
                            duration.as_micros() as f64 * factor / MICROS_PER_MILLISECOND as f64,
                        );
                        entry.node.value = NodeValue::String(format!("{}ms", ms as u64));
                    }
                }
                _ => {}
            }
            entry
        })
        .collect();
    Ok(Node {
        value: NodeValue::Table(scaled_entries),
        span: None,
    })
}

/// The node at `segments` in `tree`, following tables by key and lists of records by id,
/// as edits by id do ([`super::layout::record_by_id`]); `None` where nothing is there.
pub fn at_path<'n>(tree: &'n Node, segments: &[&str]) -> Option<&'n Node> {
    let mut node = tree;
    for segment in segments {
        node = match &node.value {
            NodeValue::Table(_) => node.get(segment)?,
            NodeValue::Array(items) => super::layout::record_by_id(items, segment)?,
            _ => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let source = format!("x = {text}");
        let document = toml_edit::Document::parse(&source).unwrap();
        Node::from_document_root(document.as_table())
            .get("x")
            .unwrap()
            .without_spans()
    }

    fn swept(existing: &str, value: &str) -> String {
        scaled(Some(&parse(existing)), &parse(&format!("\"{value}\"")))
            .unwrap()
            .to_toml_text()
    }

    #[test]
    fn a_duration_sets_the_location_and_keeps_the_form() {
        // Log-normal: the median, the p95 scaled alike (σ kept): median 4 h, p95 12 h.
        assert_eq!(
            swept(
                "{ dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }",
                "4h"
            ),
            "{ dist = \"lognormal\", median = \"14400000ms\", p95 = \"43200000ms\" }"
        );
        // mu in ln hours: a median of e^0 = 1 h times 2 is ln 2.
        let mu = swept("{ dist = \"lognormal\", mu = 0.0, sigma = 1.0 }", "2h");
        assert!(
            mu.starts_with("{ dist = \"lognormal\", mu = 0.693147"),
            "{mu}"
        );
        assert!(
            mu.ends_with("sigma = 1 }") || mu.ends_with("sigma = 1.0 }"),
            "{mu}"
        );
        // The others: the mean.
        assert_eq!(
            swept("{ dist = \"exponential\", mean = \"1y\" }", "6h"),
            "{ dist = \"exponential\", mean = \"21600000ms\" }"
        );
        // Gamma: shape 2, scale 3 h has mean 6 h; a mean of 12 h doubles the scale.
        assert_eq!(
            swept("{ dist = \"gamma\", shape = 2, scale = \"3h\" }", "12h"),
            "{ dist = \"gamma\", shape = 2, scale = \"21600000ms\" }"
        );
        // Uniform 30 s to 2 min has mean 75 s; 150 s doubles both ends.
        assert_eq!(
            swept(
                "{ dist = \"uniform\", min = \"30s\", max = \"2m\" }",
                "150s"
            ),
            "{ dist = \"uniform\", min = \"60000ms\", max = \"240000ms\" }"
        );
        // Weibull: shape 1 is exponential, mean = scale.
        assert_eq!(
            swept("{ dist = \"weibull\", shape = 1, scale = \"1d\" }", "2d"),
            "{ dist = \"weibull\", shape = 1, scale = \"172800000ms\" }"
        );
        assert_eq!(
            swept("{ dist = \"fixed\", value = \"30m\" }", "1h"),
            "{ dist = \"fixed\", value = \"3600000ms\" }"
        );
    }

    #[test]
    fn the_base_value_gives_the_base_and_other_values_pass_through() {
        let base = "{ dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }";
        assert_eq!(swept(base, "60m"), parse(base).to_toml_text());
        // A bare duration over a bare duration, or a table given whole, is as written.
        assert_eq!(swept("\"4h\"", "2h"), "2h");
        let table = parse("{ dist = \"fixed\", value = \"2h\" }");
        assert_eq!(
            scaled(Some(&parse(base)), &table).unwrap().to_toml_text(),
            table.to_toml_text()
        );
        // Nothing to scale: said, with the form to use.
        let error = scaled(Some(&parse("{ dist = \"none\" }")), &parse("\"1h\"")).unwrap_err();
        assert!(error.contains("dist = \"fixed\""), "{error}");
    }
}
