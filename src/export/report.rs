//! `report.html`: one self-contained file to mail — no scripts, fonts or styles from the
//! network; every chart inlined as SVG. It holds what was run, a verdict per service a
//! manager can act on, a layouts × services scorecard, the summary and comparison
//! tables, the scenario's warnings and every chart. It reads at 1280 px and prints on A4.

use std::fmt::Write as _;

use super::{ExportError, Exporter};
use crate::plot::{self, Chart};
use crate::results::Results;
use crate::stats::interval::{Interval, MIN_CARRYING};
use crate::stats::{ComparisonRow, SummaryRow, Verdict};
use crate::vocabulary::Cause;
use crate::vocabulary::Service;

/// The report's file name.
pub const REPORT_FILE: &str = "report.html";

/// The report.
pub struct Report;

impl Exporter for Report {
    fn file_name(&self) -> String {
        REPORT_FILE.to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        let mut charts = Vec::new();
        for chart in plot::study_charts() {
            if !chart.applies(results) {
                continue;
            }
            let svg = plot::render_svg(chart.as_ref(), results).map_err(|message| {
                ExportError::Chart {
                    file: format!("{REPORT_FILE} ({})", chart.file_stem()),
                    message,
                }
            })?;
            charts.push((chart, svg));
        }
        Ok(Some(render(results, &charts).into_bytes()))
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #222; --muted: #666; --rule: #ddd; --better: #d8f0e6; --worse: #f9dccb; --slight: #f6f1d8; --same: #eeeeee; --base: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; line-height: 1.45; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 32px 0 10px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 24px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 12px; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; font-size: 0.92rem; }
dl.run dt { color: var(--muted); }
dl.run dd { margin: 0; overflow-wrap: anywhere; }
ul.verdict { padding-left: 20px; }
ul.verdict li { margin: 6px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.85rem; }
th, td { border: 1px solid var(--rule); padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f5f5f5; }
td.name, th.name { text-align: left; overflow-wrap: anywhere; min-width: 110px; max-width: 260px; }
td.key, th.key { text-align: left; white-space: nowrap; }
td.text, th.text { text-align: left; min-width: 200px; }
div.scroll { overflow-x: auto; }
td.ci { white-space: nowrap; }
.better { background: var(--better); }
.worse { background: var(--worse); }
.slight { background: var(--slight); }
.same { background: var(--same); }
.few { background: repeating-linear-gradient(45deg, #ffffff, #ffffff 4px, #eeeeee 4px, #eeeeee 8px); }
.unaffected { background: var(--base); color: var(--muted); }
td.base { background: var(--base); font-weight: 600; }
.key span { display: inline-block; padding: 1px 8px; margin: 0 8px 4px 0; border: 1px solid var(--rule); font-size: 0.85rem; }
.scroll { overflow-x: auto; }
pre.warning { background: #fbf7e9; border-left: 4px solid #e69f00; padding: 8px 12px; font-size: 0.8rem; overflow-x: auto; white-space: pre-wrap; }
figure { margin: 16px 0 28px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 4px; }
footer { color: var(--muted); font-size: 0.8rem; margin-top: 40px; }
@page { size: A4; margin: 14mm; }
@media print {
  main { max-width: none; padding: 0; }
  body { font-size: 9.5pt; }
  h2, h3 { break-after: avoid; }
  figure, pre, tr { break-inside: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 7pt; width: 100%; }
  th, td { padding: 2px 4px; }
  td.key, th.key, td.ci { white-space: normal; }
  td.name, th.name { overflow-wrap: normal; word-break: normal; }
}
"#;

/// The start of a report page titled `title`, up to the opening `<main>`.
pub(crate) fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(title)
    )
}

/// A chart inlined as a figure (its SVG), with where its files are.
pub(crate) fn figure(html: &mut String, stem: &str, title: &str, svg: &str) {
    let _ = writeln!(
        html,
        "<figure id=\"{stem}\" aria-label=\"{}\">\n{}\n<figcaption>Also as {stem}.svg and {stem}.png in the output folder.</figcaption>\n</figure>",
        escape(title),
        svg.trim()
    );
}

/// The verdict and the tables of `results` (one assumption's, or a run without any);
/// under an assumption, each statement of the verdict names it.
fn body(html: &mut String, results: &Results, assumption: Option<&str>) {
    let _ = writeln!(html, "<h2>Verdict</h2>\n<ul class=\"verdict\">");
    let under = assumption.map_or_else(String::new, |a| format!("Under {}: ", escape(a)));
    for service in results.services() {
        let _ = writeln!(html, "<li>{under}{}</li>", verdict(results, service));
    }
    let _ = writeln!(html, "</ul>");
    score_table(html, results);
    scorecard(html, results);
    summary_table(html, results);
    comparison_table(html, results);
}

/// Per service (all users) and for the score, the robust choice across the assumptions
/// (best in the worst case, least maximum regret, each with its paired interval and the
/// assumption that decides it), and the matrix chart behind it.
fn across_assumptions(html: &mut String, results: &Results, matrix: Option<&str>) {
    let _ = writeln!(
        html,
        "<h2>Across assumptions</h2>\n<p>Every layout was evaluated under every assumption on the same random numbers. \
         The choices below hold across them: the layout whose worst case is least, and the one whose largest regret \
         (its loss beyond the best layout under the same assumption) is least; each statement names the assumption it rests on, \
         and each margin is a paired 95% interval (docs/output.md, \"Assumptions\").</p>\n<ul class=\"verdict\">"
    );
    for metric in results.robust.metrics() {
        let sentences = crate::export::robust::choice_sentences(results, metric);
        let items: Vec<String> = sentences
            .iter()
            .map(|s| format!("<li>{}</li>", escape(s)))
            .collect();
        let _ = writeln!(
            html,
            "<li><strong>{}</strong>: <ul>{}</ul></li>",
            escape(crate::plot::sweep::service_title(metric)),
            items.concat()
        );
    }
    let _ = writeln!(html, "</ul>");
    if let Some(svg) = matrix {
        figure(html, "matrix", "Layouts under each assumption", svg);
    }
}

fn render(results: &Results, charts: &[(Box<dyn Chart<Results>>, String)]) -> String {
    let info = &results.info;
    let mut html = page_head(&format!("edgesim report: {}", info.scenario));
    let _ = writeln!(html, "<h1>{}</h1>", escape(&info.scenario));
    if !results.description.trim().is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"lead\">{}</p>",
            escape(results.description.trim())
        );
    }
    let _ = writeln!(html, "<dl class=\"run\">");
    let layouts = results.distinct_layouts();
    let assumptions = results.assumptions();
    let crates: Vec<String> = info
        .random_crates
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    for (term, value) in [
        ("scenario file", info.scenario_file.clone()),
        ("layouts", layouts.join(", ")),
        ("assumptions", assumptions.join(", ")),
        ("replications", crate::format::thousands(info.replications)),
        ("horizon", info.horizon.clone()),
        ("seed", info.seed.to_string()),
        (
            "edgesim",
            format!(
                "{} (random numbers: {})",
                info.edgesim_version,
                crates.join(", ")
            ),
        ),
        ("fingerprint", info.fingerprint.clone()),
    ] {
        if value.is_empty() {
            continue;
        }
        let _ = writeln!(html, "<dt>{term}</dt><dd>{}</dd>", escape(&value));
    }
    if let Some(precision) = &results.precision {
        let _ = writeln!(
            html,
            "<dt>precision target</dt><dd>{}</dd>",
            escape(crate::export::table::precision_summary(precision).trim())
        );
    }
    let _ = writeln!(html, "</dl>");

    if results.explore.is_some() {
        let chart = charts
            .iter()
            .find(|(chart, _)| chart.file_stem() == "explore")
            .map(|(_, svg)| svg.as_str());
        crate::export::explore::section(&mut html, results, chart);
    }

    if assumptions.is_empty() {
        body(&mut html, results, None);
    } else {
        let matrix = charts
            .iter()
            .find(|(chart, _)| chart.file_stem() == "matrix")
            .map(|(_, svg)| svg.as_str());
        across_assumptions(&mut html, results, matrix);
        // Each assumption's section is what a run with it written in reports.
        for assumption in &assumptions {
            let _ = writeln!(
                html,
                "<section class=\"assumption\">\n<h2 class=\"assumption\">Under assumption \u{201c}{}\u{201d}</h2>",
                escape(assumption)
            );
            body(&mut html, &results.under(assumption), Some(assumption));
            let _ = writeln!(html, "</section>");
        }
    }

    let _ = writeln!(html, "<h2>Warnings</h2>");
    if results.warnings.is_empty() {
        let _ = writeln!(
            html,
            "<p>The scenario raised no disaster-recovery warnings.</p>"
        );
    } else {
        for warning in &results.warnings {
            let _ = writeln!(html, "<pre class=\"warning\">{}</pre>", escape(warning));
        }
    }

    let _ = writeln!(html, "<h2>Charts</h2>");
    for (chart, svg) in charts {
        if chart.file_stem() != "matrix" && chart.file_stem() != "explore" {
            figure(&mut html, chart.file_stem(), chart.title(), svg);
        }
    }
    let _ = writeln!(
        html,
        "<footer>Made by edgesim {} from {}. Downtime is minutes per year (365 days); intervals are 95%, from replications \
         (docs/output.md, \"Evidence and intervals\"); with fewer than five replications carrying an estimate, bounds from the rate of those that do.</footer>\n</main>\n</body>\n</html>",
        escape(&info.edgesim_version),
        escape(&info.scenario_file)
    );
    html
}

/// What a cause means for `service`, in the verdict's words: each is true of the state it
/// names for that service (docs/output.md, "Causes").
pub fn cause_phrase(service: Service, cause: Cause) -> &'static str {
    match (cause, service) {
        (Cause::FrontEndDown, _) => {
            "the users' Front End pools being down, which no Edge layout changes (pairing each with a backup pool at another site shortens it, D1)"
        }
        (Cause::AllPoolsDown, Service::RemoteAccess) => {
            "every Edge pool in the remote-access SRV records being down at once"
        }
        (Cause::AllPoolsDown, Service::FederationInbound) => {
            "every federation SRV target being down at once (a further federation record, or geo-DNS, helps)"
        }
        (Cause::AllPoolsDown, _) => "every Edge pool being down at once",
        (Cause::Firewall, _) => "firewall rules that block the Edge pools still up",
        (Cause::Capacity, _) => "surviving Edge pools without room for the displaced users",
        (Cause::AwaitingAdmin, Service::FederationOutbound) => {
            "waiting for an administrator to move the outbound federation route (faster response or automation helps)"
        }
        (Cause::AwaitingAdmin, Service::XmppInbound | Service::XmppOutbound) => {
            "waiting for an administrator to move the XMPP gateway (faster response or automation helps)"
        }
        (Cause::AwaitingAdmin, _) => {
            "waiting for an administrator to associate the Front End pool with an Edge pool that is up (faster response or automation helps)"
        }
        (Cause::DnsCache, Service::RemoteAccess) => {
            "remote clients' DNS caches still naming the old Edge pool after their region's traffic manager changed its answer (a shorter TTL helps, G1)"
        }
        (Cause::DnsDesign, Service::RemoteAccess) => {
            "remote clients told one Edge pool by their region's traffic manager that cannot take them (down and not yet detected, or full) while another pool of the region could (the DNS design, G1)"
        }
        (Cause::DnsCache, Service::XmppInbound) => {
            "partners' DNS caches still naming the old XMPP gateway (a shorter TTL helps)"
        }
        (Cause::DnsCache, _) => {
            "partners' DNS caches still naming the old Edge pool (a shorter TTL helps)"
        }
        (Cause::DnsDesign, _) => {
            "partners sent to a pool that is down while another is up (the DNS design)"
        }
        (Cause::ClientFailover, _) => "clients noticing the loss and walking the SRV list",
        (Cause::PoolFailoverPending, _) => {
            "the users' Front End pools being down before their failover to the backup pool is complete (a faster decision or failover helps)"
        }
        (Cause::NextHopDown, _) => {
            "Edge pools that are up but cut off from their next-hop Front End pool until the administrator moves it (a faster response, or a next hop whose backup is up, helps)"
        }
    }
}

fn availability_percent(availability: f64) -> String {
    let percent = availability * 100.0;
    if percent >= 99.99 {
        format!("{percent:.4}%")
    } else {
        format!("{percent:.3}%")
    }
}

/// An availability as a percentage with four decimals (99.9395%).
pub fn percent(availability: f64) -> String {
    format!("{:.4}%", availability * 100.0)
}

fn minutes(value: f64) -> String {
    format!("{} min/yr", crate::format::minutes_label(value))
}

fn signed(value: f64) -> String {
    crate::format::signed_minutes(value)
}

/// A change with its interval: `+563 min/yr (95% interval +431 to +713)`.
fn change_with_interval(row: &ComparisonRow) -> String {
    match row.ci95 {
        Some((low, high)) => format!(
            "{} min/yr (95% interval {} to {})",
            signed(row.delta_downtime_min_per_year),
            signed(low),
            signed(high)
        ),
        None => format!("{} min/yr", signed(row.delta_downtime_min_per_year)),
    }
}

/// Layout names joined for a sentence, each with what `describe` says of it.
fn listing(rows: &[&ComparisonRow], describe: impl Fn(&ComparisonRow) -> String) -> String {
    rows.iter()
        .map(|r| format!("{} ({})", escape(&r.layout), describe(r)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One service's verdict: which layouts are materially better or worse than the baseline,
/// which differ only immaterially, which rest on too few replications, material changes in
/// outages, and what dominates the remaining downtime of the layout to prefer.
fn verdict(results: &Results, service: Service) -> String {
    let rows: Vec<&SummaryRow> = results
        .layouts()
        .filter_map(|l| results.summary_row(l, service, "all"))
        .collect();
    let mut text = format!("<strong>{}</strong>: ", escape(service.title()));
    let Some(&baseline) = rows.first() else {
        return text + "not measured.";
    };
    let threshold = results.study.materiality.downtime(service);
    let changes: Vec<&ComparisonRow> = results
        .layouts()
        .skip(1)
        .filter_map(|l| results.comparison_row(l, service, "all"))
        .collect();
    let with = |verdicts: &[Verdict]| -> Vec<&ComparisonRow> {
        changes
            .iter()
            .copied()
            .filter(|r| verdicts.contains(&r.verdict))
            .collect()
    };
    let preferred = results.preferred(service);
    let preferred_row = preferred
        .and_then(|r| results.summary_row(&r.layout, service, "all"))
        .unwrap_or(baseline);
    if rows.len() == 1 {
        let _ = write!(
            text,
            "{} loses {} ({} available).",
            escape(&baseline.layout),
            minutes(baseline.downtime_min_per_year),
            availability_percent(baseline.availability)
        );
    } else if let Some(best) = preferred {
        let _ = write!(
            text,
            "{} is materially better than {}: {}, leaving {} ({} available).",
            escape(&best.layout),
            escape(&baseline.layout),
            change_with_interval(best),
            minutes(preferred_row.downtime_min_per_year),
            availability_percent(preferred_row.availability)
        );
    } else {
        let _ = write!(
            text,
            "no layout is materially better than {} (the baseline), which loses {} ({} available).",
            escape(&baseline.layout),
            minutes(baseline.downtime_min_per_year),
            availability_percent(baseline.availability)
        );
    }
    let others: Vec<&ComparisonRow> = with(&[Verdict::MateriallyBetter])
        .into_iter()
        .filter(|r| preferred.is_none_or(|p| p.layout != r.layout))
        .collect();
    if !others.is_empty() {
        let _ = write!(
            text,
            " Also materially better: {}.",
            listing(&others, change_with_interval)
        );
    }
    let worse = with(&[Verdict::MateriallyWorse]);
    if !worse.is_empty() {
        let _ = write!(
            text,
            " Materially worse: {}.",
            listing(&worse, change_with_interval)
        );
    }
    let immaterial = with(&[Verdict::BetterImmaterial, Verdict::WorseImmaterial]);
    if !immaterial.is_empty() {
        let _ = write!(
            text,
            " Significant but immaterial (below the {} min/yr that matters): {}.",
            crate::format::minutes_label(threshold),
            listing(&immaterial, |r| format!(
                "{} min/yr",
                signed(r.delta_downtime_min_per_year)
            ))
        );
    }
    let same = with(&[Verdict::NoSignificantDifference]);
    if !same.is_empty() {
        let _ = write!(
            text,
            " No significant difference: {}.",
            listing(&same, change_with_interval)
        );
    }
    let few = with(&[Verdict::TooFewDiffer]);
    if !few.is_empty() {
        let _ = write!(
            text,
            " Too few replications differ to tell: {}.",
            listing(&few, |r| format!(
                "{} of {} differ; about {} replications would tell",
                crate::format::thousands(r.differing),
                crate::format::thousands(r.replications),
                r.replications_needed
                    .map_or_else(|| "more".to_string(), crate::format::thousands)
            ))
        );
    }
    let unaffected = with(&[Verdict::Unaffected]);
    if !unaffected.is_empty() {
        let names: Vec<String> = unaffected.iter().map(|r| escape(&r.layout)).collect();
        let _ = write!(
            text,
            " Unaffected (they change nothing this service reads): {}.",
            names.join(", ")
        );
    }
    // Material changes in outages per year, in any scope, of the layouts named above.
    let outages: Vec<String> = results
        .comparison
        .iter()
        .filter(|r| r.service == service.name() && r.outages_verdict.material())
        .filter_map(|r| {
            let before = results.summary_row(&r.baseline, service, &r.scope)?;
            let after = results.summary_row(&r.layout, service, &r.scope)?;
            Some(format!(
                "{} {} outages per year from {:.2} to {:.2}{}",
                escape(&r.layout),
                if r.delta_outages_per_year > 0.0 {
                    "raises"
                } else {
                    "lowers"
                },
                before.outages_per_year,
                after.outages_per_year,
                if r.scope == "all" {
                    String::new()
                } else {
                    format!(" for {}", escape(&r.scope))
                }
            ))
        })
        .collect();
    if !outages.is_empty() {
        let _ = write!(
            text,
            " Material changes in outages (at least {} per year): {}.",
            results.study.materiality.outages_per_year,
            outages.join("; ")
        );
    }
    // Estimates that rest on too few replications.
    let thin: Vec<String> = rows
        .iter()
        .filter(|r| r.with_downtime < MIN_CARRYING && r.replications > 1)
        .map(|r| {
            format!(
                "{} ({} of {} replications had downtime; at most {})",
                escape(&r.layout),
                crate::format::thousands(r.with_downtime),
                crate::format::thousands(r.replications),
                r.downtime_ci95
                    .map_or_else(|| "—".to_string(), |(_, high)| minutes(high))
            )
        })
        .collect();
    if !thin.is_empty() {
        let _ = write!(
            text,
            " Resting on too few replications to give an interval: {}.",
            thin.join(", ")
        );
    }
    let causes = results.causes_of(&preferred_row.layout, service, "all");
    let total: f64 = causes.iter().map(|c| c.1).sum();
    if total <= 0.0 {
        let _ = write!(
            text,
            " {} had no downtime in {} replications.",
            escape(&preferred_row.layout),
            crate::format::thousands(preferred_row.replications)
        );
    } else if let Some((cause, value)) = causes.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
        let share = value / total * 100.0;
        let _ = write!(
            text,
            " {} of {}'s remaining downtime ({share:.0}%) is {}.",
            if share >= 50.0 {
                "Most"
            } else {
                "The largest part"
            },
            escape(&preferred_row.layout),
            cause_phrase(service, cause)
        );
    }
    text
}

/// The CSS class of a verdict: `better`, `worse`, `slight` (significant but immaterial),
/// `same` (no significant difference), `few` (too few replications differ) or
/// `unaffected`.
fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::MateriallyBetter => "better",
        Verdict::MateriallyWorse => "worse",
        Verdict::BetterImmaterial | Verdict::WorseImmaterial => "slight",
        Verdict::NoSignificantDifference => "same",
        Verdict::TooFewDiffer => "few",
        Verdict::Unaffected => "unaffected",
    }
}

/// The colour key of verdicts, for the scorecard and the score.
const VERDICT_KEY: &str = "<span class=\"better\">materially better</span>\
     <span class=\"worse\">materially worse</span>\
     <span class=\"slight\">significant but immaterial</span>\
     <span class=\"same\">no significant difference</span>\
     <span class=\"few\">too few replications differ to tell</span>\
     <span class=\"unaffected\">unaffected (changes nothing it reads)</span>\
     <span style=\"font-weight:600\">baseline</span>";

/// The layouts ranked by their `[objective]` score, with the change against the baseline
/// and its verdict, and the cause that weighs most in each.
fn score_table(html: &mut String, results: &Results) {
    let (Some(objective), Some(best)) = (
        &results.study.objective,
        results.scores.iter().min_by_key(|r| r.rank),
    ) else {
        return;
    };
    let weights: Vec<String> = objective
        .weights
        .iter()
        .map(|(service, weight)| format!("{} × {weight}", service.title()))
        .collect();
    let threshold = results
        .study
        .materiality
        .score_user_min_per_year
        .unwrap_or(0.0);
    let _ = writeln!(
        html,
        "<h2>Score</h2>\n<p>Weighted user-minutes lost per year over all services: each service's downtime times \
         the users it concerns (remote users for remote access, every user for the others) times its weight \
         in [objective]: {}. Lower is better. <strong>{}</strong> ranks first with {} user-minutes per year{}. \
         The change against the baseline is paired replication by replication (the layouts share every failure), \
         so its interval is narrower than the scores' own. A change is material from {} weighted user-minutes per \
         year ([materiality]); a smaller one, however significant, is no reason to choose a layout. \
         summary.csv (rows of service score) and summary.json hold the same figures.</p>",
        escape(&weights.join(", ")),
        escape(&best.layout),
        crate::format::whole(best.score_user_min_per_year),
        match best.delta_vs_baseline {
            None => String::new(),
            Some(delta) if delta.verdict == Verdict::MateriallyBetter => {
                ", materially better than the baseline".to_string()
            }
            Some(delta) => format!(
                ", but against the baseline it is {}: a lead that is no reason to choose it",
                delta.verdict.words()
            ),
        },
        crate::format::whole(threshold)
    );
    let first_users = best.weighted_users;
    if results
        .scores
        .iter()
        .any(|r| r.weighted_users != first_users)
    {
        let counts: Vec<String> = results
            .scores
            .iter()
            .map(|r| format!("{} {}", r.layout, crate::format::whole(r.weighted_users)))
            .collect();
        let _ = writeln!(
            html,
            "<p><strong>The layouts weigh different numbers of users</strong> (a service missing in some, or \
             other user counts): {}. A layout scores nothing for a service it does not have, so compare such \
             layouts on the services they share as well.</p>",
            escape(&counts.join(", "))
        );
    }
    let _ = writeln!(html, "<p class=\"key\">{VERDICT_KEY}</p>");
    let _ = writeln!(
        html,
        "<div class=\"scroll\"><table>\n<tr><th>rank</th><th class=\"name\">layout</th><th>score</th>\
         <th>95% interval</th><th>change against the baseline</th><th>95% interval</th><th class=\"key\">verdict</th>\
         <th>replications that differ</th><th class=\"key\">largest cause</th></tr>"
    );
    let mut rows: Vec<_> = results.scores.iter().collect();
    rows.sort_by_key(|r| r.rank);
    for row in rows {
        let interval = match (row.interval, row.ci95) {
            (Interval::TwoSided { .. }, Some((low, high))) => {
                format!(
                    "{} – {}",
                    crate::format::whole(low),
                    crate::format::whole(high)
                )
            }
            (_, Some((_, high))) => format!("at most {} (bound)", crate::format::whole(high)),
            _ => "—".to_string(),
        };
        let (class, change, change_interval, verdict, differing) = match &row.delta_vs_baseline {
            None => (
                "base",
                "baseline".to_string(),
                String::new(),
                String::new(),
                String::new(),
            ),
            Some(delta) => (
                verdict_class(delta.verdict),
                crate::format::signed_whole(delta.user_min_per_year),
                delta.ci95.map_or("—".to_string(), |(low, high)| {
                    format!(
                        "{} – {}",
                        crate::format::signed_whole(low),
                        crate::format::signed_whole(high)
                    )
                }),
                delta.verdict.words().to_string(),
                format!(
                    "{} of {}",
                    crate::format::thousands(delta.differing),
                    crate::format::thousands(row.replications)
                ),
            ),
        };
        let cause = row
            .causes
            .iter()
            .filter(|(_, minutes)| *minutes > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or("—".to_string(), |(cause, minutes)| {
                format!(
                    "{cause} ({:.0}%)",
                    100.0 * minutes / row.score_user_min_per_year.max(f64::MIN_POSITIVE)
                )
            });
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"name\">{}</td><td>{}</td><td class=\"ci\">{interval}</td>\
             <td class=\"{class}\">{change}</td><td class=\"ci\">{change_interval}</td><td class=\"key {class}\">{verdict}</td>\
             <td>{differing}</td><td class=\"key\">{cause}</td></tr>",
            row.rank,
            escape(&row.layout),
            crate::format::whole(row.score_user_min_per_year),
        );
    }
    let _ = writeln!(html, "</table></div>");
}

/// Layouts × services in minutes per year, coloured by the verdict against the baseline.
fn scorecard(html: &mut String, results: &Results) {
    let services = results.services();
    let _ = writeln!(html, "<h2>Scorecard</h2>");
    let _ = writeln!(
        html,
        "<p class=\"key\">Minutes of downtime per year (all users). Against the baseline, material from the \
         [materiality] threshold: {VERDICT_KEY}. An asterisk marks a figure that fewer than {MIN_CARRYING} \
         replications carry.</p>"
    );
    let _ = writeln!(
        html,
        "<div class=\"scroll\"><table class=\"scorecard\">\n<tr><th class=\"name\">layout</th>"
    );
    for service in &services {
        let _ = write!(html, "<th>{}</th>", escape(service.title()));
    }
    let _ = writeln!(html, "</tr>");
    for (index, layout) in results.layouts().enumerate() {
        let _ = write!(html, "<tr><td class=\"name\">{}</td>", escape(layout));
        for &service in &services {
            let Some(row) = results.summary_row(layout, service, "all") else {
                let _ = write!(html, "<td>—</td>");
                continue;
            };
            let class = if index == 0 {
                "base"
            } else {
                results
                    .comparison_row(layout, service, "all")
                    .map_or("same", |row| verdict_class(row.verdict))
            };
            let _ = write!(
                html,
                "<td class=\"{class}\">{}{}</td>",
                crate::format::minutes_label(row.downtime_min_per_year),
                if row.with_downtime < MIN_CARRYING && row.replications > 1 {
                    "*"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(html, "</tr>");
    }
    let _ = writeln!(html, "</table></div>");
}

fn summary_table(html: &mut String, results: &Results) {
    let _ = writeln!(html, "<h2>Summary</h2>");
    let _ = writeln!(
        html,
        "<p>Availability is the mean over replications with its 95% interval; downtime in minutes per year \
         (mean and percentiles over replications). <em>With downtime</em> counts the replications that had any: \
         the estimate rests on them. With fewer than {MIN_CARRYING}, the interval becomes a one-sided bound \
         (marked ≥) from the rate of replications with downtime, which assumes nothing about how long an unseen \
         outage lasts, and the table says how many replications would give an interval (~ about, ≥ at least). A percentile marked † \
         rests on too few replications to have a distribution-free 95% upper bound (59 for p95, 299 for p99): \
         it is little more than the largest value seen. summary.csv has the same figures with full precision.</p>"
    );
    for (heading, per_front_end) in [("All users", false), ("Per Front End pool", true)] {
        let rows: Vec<&SummaryRow> = results
            .summary
            .iter()
            .filter(|r| (r.scope != "all") == per_front_end)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(html, "<h3>{heading}</h3>\n<div class=\"scroll\"><table>");
        let _ = writeln!(
            html,
            "<tr><th class=\"name\">layout</th><th class=\"key\">service</th><th class=\"key\">scope</th>\
             <th>available</th><th>95% interval</th><th>with downtime</th><th>nines</th><th>min/yr</th><th>p50</th><th>p95</th>\
             <th>p99</th><th>outages/yr</th><th>mean outage (min)</th></tr>"
        );
        for row in rows {
            let ci = match (row.interval, row.ci95) {
                (Interval::TwoSided { .. }, Some((low, high))) => {
                    format!("{} – {}", percent(low), percent(high))
                }
                (_, Some((low, _))) => format!("≥ {} (bound)", percent(low)),
                _ => "—".to_string(),
            };
            let evidence = match row.replications_needed {
                Some(needed) => format!(
                    "{}/{} ({}{} needed)",
                    crate::format::thousands(row.with_downtime),
                    crate::format::thousands(row.replications),
                    if row.with_downtime == 0 { "≥ " } else { "~" },
                    crate::format::thousands(needed)
                ),
                None => format!(
                    "{}/{}",
                    crate::format::thousands(row.with_downtime),
                    crate::format::thousands(row.replications)
                ),
            };
            let mark = |supported: bool| if supported { "" } else { "†" };
            let _ = writeln!(
                html,
                "<tr><td class=\"name\">{}</td><td class=\"key\">{}</td><td class=\"key\">{}</td>\
                 <td>{}</td><td class=\"ci\">{ci}</td><td class=\"ci\">{evidence}</td><td>{}</td><td>{:.2}</td><td>{:.1}</td><td>{:.1}{}</td>\
                 <td>{:.1}{}</td><td>{:.2}</td><td>{}</td></tr>",
                escape(&row.layout),
                row.service,
                escape(&row.scope),
                percent(row.availability),
                row.nines.map_or("—".to_string(), |n| format!("{n:.2}")),
                row.downtime_min_per_year,
                row.downtime_p50,
                row.downtime_p95,
                mark(row.downtime_p95_supported),
                row.downtime_p99,
                mark(row.downtime_p99_supported),
                row.outages_per_year,
                row.mean_outage_min
                    .map_or("—".to_string(), |m| format!("{m:.1}")),
            );
        }
        let _ = writeln!(html, "</table></div>");
    }
}

fn comparison_table(html: &mut String, results: &Results) {
    if results.comparison.is_empty() {
        return;
    }
    let baseline = results.layouts().next().unwrap_or("");
    let _ = writeln!(html, "<h2>Comparison against {}</h2>", escape(baseline));
    let _ = writeln!(
        html,
        "<p>Paired differences in minutes of downtime per year (negative: less downtime than the baseline), \
         with their 95% interval, the replications in which the two layouts differ (the change rests on them), \
         and the verdict against the [materiality] threshold. With fewer than {MIN_CARRYING} replications \
         differing, the interval becomes bounds from the rates of replications that got worse and better \
         (they assume nothing about how large an unseen change is). The same figures are in comparison.csv.</p>\n\
         <div class=\"scroll\"><table>"
    );
    let _ = writeln!(
        html,
        "<tr><th class=\"name\">layout</th><th class=\"key\">service</th><th class=\"key\">scope</th>\
         <th>change (min/yr)</th><th>95% interval</th><th>replications that differ</th><th class=\"key\">verdict</th>\
         <th>outages/yr</th></tr>"
    );
    for row in &results.comparison {
        let ci = match (row.interval, row.ci95) {
            (Interval::Unaffected, _) => "0 (unaffected)".to_string(),
            (Interval::Bounds { .. }, Some((low, high))) => {
                format!("{low:.2} – {high:.2} (bounds)")
            }
            (_, Some((low, high))) => format!("{low:.2} – {high:.2}"),
            _ => "—".to_string(),
        };
        let outages = if row.outages_verdict.material() {
            format!("<strong>{:+.2}</strong>", row.delta_outages_per_year)
        } else {
            format!("{:+.2}", row.delta_outages_per_year)
        };
        let _ = writeln!(
            html,
            "<tr><td class=\"name\">{}</td><td class=\"key\">{}</td><td class=\"key\">{}</td><td>{:.2}</td>\
             <td class=\"ci\">{ci}</td><td>{} of {}</td><td class=\"key {}\">{}</td><td>{outages}</td></tr>",
            escape(&row.layout),
            row.service,
            escape(&row.scope),
            row.delta_downtime_min_per_year,
            crate::format::thousands(row.differing),
            crate::format::thousands(row.replications),
            verdict_class(row.verdict),
            row.verdict.words(),
        );
    }
    let _ = writeln!(html, "</table></div>");
}
