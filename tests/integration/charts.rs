//! Charts and the report, as a planner receives them: every chart as a PNG that decodes
//! and is not blank and an SVG that parses and holds its title; a report that holds the
//! summary's values, inlines every chart and loads nothing from the network; charts that
//! change no CSV or JSON byte; text drawn with no system fonts; and the report opened in
//! a real headless browser.

use std::path::{Path, PathBuf};

use crate::{edgesim, project_path};

/// The charts of a study with two layouts or more, an [objective] and assumptions (the
/// built-in example), with their titles.
const CHARTS: [(&str, &str); 8] = [
    ("downtime", "Downtime by service and layout"),
    (
        "downtime-distribution",
        "Distribution of yearly downtime across replications",
    ),
    ("causes", "Downtime by cause"),
    ("comparison", "Layout comparison against the baseline"),
    ("score", "Score of each layout"),
    ("front-end-pools", "Downtime per Front End pool"),
    ("edge-pools", "Edge pool capacity against peak load"),
    ("matrix", "Layouts under each assumption"),
];

fn run_contoso(out: &Path, extra: &[&str]) {
    edgesim()
        .args(["run", "-n", "40", "-q", "-o"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// Width, height and RGB pixels of a PNG.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// The share of pixels that are not white.
fn inked_share(pixels: &[u8]) -> f64 {
    let inked = pixels
        .chunks_exact(3)
        .filter(|p| p.iter().any(|&c| c < 240))
        .count();
    inked as f64 / (pixels.len() / 3) as f64
}

/// The width and height an SVG declares.
fn svg_size(text: &str) -> (u32, u32) {
    let document = roxmltree::Document::parse(text).expect("the SVG is well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let number = |name| root.attribute(name).unwrap().parse().unwrap();
    (number("width"), number("height"))
}

#[test]
fn every_chart_is_a_png_that_decodes_and_an_svg_that_parses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_contoso(&out, &[]);
    for (stem, title) in CHARTS {
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        let (width, height) = svg_size(&svg);
        assert!(svg.contains(title), "{stem}.svg does not hold its title");
        let (png_width, png_height, pixels) = decode_png(&out.join(format!("{stem}.png")));
        assert_eq!(
            (png_width, png_height),
            (width, height),
            "{stem}: PNG and SVG sizes"
        );
        assert!(width >= 700 && height >= 300, "{stem}: {width}×{height}");
        // A chart is mostly white, but a blank one has no ink at all.
        let inked = inked_share(&pixels);
        assert!(
            inked > 0.01 && inked < 0.6,
            "{stem}: {:.1}% inked",
            inked * 100.0
        );
    }
}

#[test]
fn the_report_holds_the_summary_inlines_every_chart_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_contoso(&out, &[]);
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Every row of summary.csv, with its downtime as the report prints it.
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (score_column, rank_column) = (column("score_user_min_per_year"), column("score_rank"));
    let (service, scope) = (column("service"), column("scope"));
    let (availability_column, downtime_column) =
        (column("availability"), column("downtime_min_per_year"));
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        if &row[service] == "score" {
            // The score's own table: its rank, layout and score as the report prints them.
            let score: f64 = row[score_column].parse().unwrap();
            let cells = format!(
                "<tr><td>{}</td><td class=\"name\">{}</td><td>{}</td>",
                &row[rank_column],
                &row[0],
                edgesim::format::thousands(score.round() as u64)
            );
            assert!(report.contains(&cells), "no score row {cells}");
            continue;
        }
        let downtime: f64 = row[downtime_column].parse().unwrap();
        let availability: f64 = row[availability_column].parse().unwrap();
        // As the report prints them: availability in percent, downtime in minutes.
        let cells = format!(
            "<td class=\"key\">{}</td><td class=\"key\">{}</td><td>{:.4}%</td>",
            &row[service],
            &row[scope],
            availability * 100.0
        );
        assert!(
            report.contains(&cells),
            "no row for {} {} {}",
            &row[0],
            &row[service],
            &row[scope]
        );
        assert!(
            report.contains(&format!("<td>{downtime:.2}</td>")),
            "{downtime}"
        );
        rows += 1;
    }
    assert!(rows > 10);
    for (stem, title) in CHARTS {
        assert!(
            report.contains(&format!("<figure id=\"{stem}\"")),
            "{stem} is not in the report"
        );
        assert!(report.contains(title), "{title}");
    }
    assert_eq!(report.matches("<svg ").count(), CHARTS.len());
    // Self-contained: no scripts, no linked files, nothing fetched.
    for forbidden in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(!report.contains(forbidden), "the report holds {forbidden}");
    }
    let addresses = report.matches("http").count();
    let namespaces = report.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(
        addresses, namespaces,
        "the report names an address other than the SVG namespace"
    );
    // The verdict names each service, and the run that made it.
    assert!(report.contains("<h2>Verdict</h2>"));
    assert!(report.contains("<strong>Inbound federation</strong>"));
    assert!(report.contains("20140312"), "the seed");
}

#[test]
fn charts_change_no_csv_or_json_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (with, without) = (dir.path().join("with"), dir.path().join("without"));
    run_contoso(&with, &[]);
    run_contoso(&without, &["--no-charts"]);
    for file in [
        "summary.csv",
        "runs.csv",
        "causes.csv",
        "pools.csv",
        "comparison.csv",
        "summary.json",
    ] {
        assert_eq!(
            std::fs::read(with.join(file)).unwrap(),
            std::fs::read(without.join(file)).unwrap(),
            "{file}"
        );
    }
    let drawn: Vec<PathBuf> = std::fs::read_dir(&without)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "svg" || e == "png" || e == "html")
        })
        .collect();
    assert!(drawn.is_empty(), "--no-charts drew {drawn:?}");
}

#[test]
fn run_says_where_the_report_is() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = edgesim()
        .args(["run", "-n", "5", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("Report: {}", out.join("report.html").display())),
        "{stdout}"
    );
}

#[test]
fn charts_are_drawn_with_the_embedded_font_and_no_system_font() {
    // Every font lookup a system could offer is pointed at nothing; the title's text must
    // still be drawn (plotters is built without its system-font backend, so this guards
    // that choice).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args(["run", "-n", "5", "-q", "-o"])
        .arg(&out)
        .env("FONTCONFIG_FILE", "/nonexistent/fonts.conf")
        .env("FONTCONFIG_PATH", "/nonexistent")
        .env("XDG_DATA_DIRS", "/nonexistent")
        .env("HOME", dir.path())
        .assert()
        .success();
    let (width, _, pixels) = decode_png(&out.join("downtime.png"));
    // The title is drawn from (16, 10), about 20 px high: its band must hold dark ink.
    let dark = (10..30)
        .flat_map(|y| (16..300).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = (y * width as usize + x) * 3;
            pixels[i..i + 3].iter().all(|&c| c < 120)
        })
        .count();
    assert!(dark > 200, "only {dark} dark pixels where the title is");
}

#[test]
fn trace_draws_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    edgesim()
        .arg("trace")
        .arg(project_path("scenarios/contoso-three-site.toml"))
        .args(["--replication", "3", "-o"])
        .arg(&out)
        .assert()
        .success();
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    let (width, height) = svg_size(&svg);
    assert!(svg.contains("Timeline of one replication"));
    for lane in [
        "site dublin",
        "fe-amsterdam",
        "edge-redmond",
        "administrator",
    ] {
        assert!(svg.contains(lane), "no lane {lane}");
    }
    let (png_width, png_height, pixels) = decode_png(&out.join("timeline.png"));
    assert_eq!((png_width, png_height), (width, height));
    assert!(inked_share(&pixels) > 0.01);
}

/// Debian's headless Chromium, if installed.
/// The headless browser, or `None` after a notice when there is none. CI installs it and
/// sets EDGESIM_REQUIRE_BROWSER, so a browser check cannot be skipped there.
fn browser_or_skip() -> Option<&'static str> {
    let found = browser();
    if found.is_none() {
        assert!(
            std::env::var_os("EDGESIM_REQUIRE_BROWSER").is_none(),
            "EDGESIM_REQUIRE_BROWSER is set but no chromium was found"
        );
        eprintln!("no headless chromium: skipping the browser check");
    }
    found
}

/// Asserts what a probed report must show: no script or console error, nothing fetched,
/// every chart drawn at a readable size at 1280 px (at most 1136 px wide, shape kept).
/// Returns the figures' ids.
fn assert_renders_cleanly(probe: &serde_json::Value) -> Vec<String> {
    assert_eq!(
        probe["errors"],
        serde_json::json!([]),
        "console or script errors"
    );
    assert_eq!(
        probe["resources"],
        serde_json::json!([]),
        "the report fetched something"
    );
    let figures = probe["figures"].as_array().unwrap();
    for figure in figures {
        let (width, height) = (figure[1].as_i64().unwrap(), figure[2].as_i64().unwrap());
        assert!(width > 600 && height > 200, "{figure}");
    }
    figures
        .iter()
        .map(|f| f[0].as_str().unwrap().to_string())
        .collect()
}

fn browser() -> Option<&'static str> {
    ["chromium-headless-shell", "chromium", "chromium-browser"]
        .into_iter()
        .find(|name| {
            std::process::Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn headless(browser: &str, profile: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(browser);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// Opens `report_file` in headless `browser` with a probe that records script errors,
/// console errors, fetched resources and each chart's rendered size, and returns them.
fn probe_in_browser(browser: &str, report_file: &Path, dir: &Path) -> serde_json::Value {
    let report = std::fs::read_to_string(report_file).unwrap();
    // A copy with a probe that records script errors, console errors, fetched resources
    // and each chart's rendered size into the page, read back with --dump-dom.
    let probe = r#"<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
const originalError = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); originalError(...a); };
window.addEventListener('load', () => {
  const figures = [...document.querySelectorAll('figure')].map(f => {
    const s = f.querySelector('svg');
    const r = s ? s.getBoundingClientRect() : { width: 0, height: 0 };
    return [f.id, Math.round(r.width), Math.round(r.height)];
  });
  const resources = performance.getEntriesByType('resource').map(r => r.name);
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({ errors: window.__errors, figures, resources });
  document.body.appendChild(out);
});
</script>"#;
    let probed = dir.join("probed.html");
    std::fs::write(
        &probed,
        report.replacen("<head>", &format!("<head>\n{probe}"), 1),
    )
    .unwrap();
    let dom = headless(browser, &dir.join("profile-a"))
        .args(["--window-size=1280,2000", "--dump-dom"])
        .arg(format!("file://{}", probed.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn the_report_renders_in_a_headless_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_contoso(&out, &[]);
    let probe = probe_in_browser(browser, &out.join("report.html"), dir.path());
    assert_eq!(assert_renders_cleanly(&probe).len(), CHARTS.len());
    // A screenshot of the report itself at 1280 px: not blank.
    let screenshot = dir.path().join("report.png");
    let status = headless(browser, &dir.path().join("profile-b"))
        .arg("--window-size=1280,3000")
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (width, height, pixels) = decode_png(&screenshot);
    assert_eq!((width, height), (1280, 3000));
    assert!(inked_share(&pixels) > 0.02, "the screenshot is blank");
}

#[test]
fn the_sweep_report_renders_in_a_headless_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    edgesim()
        .args([
            "sweep",
            "-n",
            "20",
            "-q",
            "--vary",
            "dns.ttl=5m,1d",
            "--vary",
        ])
        .args(["operations.response=15m,4h", "-o"])
        .arg(&out)
        .assert()
        .success();
    let probe = probe_in_browser(browser, &out.join("report.html"), dir.path());
    assert_eq!(assert_renders_cleanly(&probe), ["sweep", "tornado"]);
}

#[test]
fn the_explore_report_renders_in_a_headless_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("space.toml");
    std::fs::write(
        &scenario,
        format!(
            "{}\n[explore]\nroute = [\"edge-dublin\", \"edge-amsterdam\"]\nservers = {{ edge-dublin = [1, 2] }}\n\n[costs]\nunit = \"kEUR\"\nedge_server = 8\n",
            crate::contoso_layouts_text()
        ),
    )
    .unwrap();
    let out = dir.path().join("explore");
    edgesim()
        .args([
            "explore",
            scenario.to_str().unwrap(),
            "-n",
            "40",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let probe = probe_in_browser(browser, &out.join("report.html"), dir.path());
    let figures = assert_renders_cleanly(&probe);
    // The explore chart first (in its section), then the run's charts for the confirmation.
    assert_eq!(figures[0], "explore", "{figures:?}");
    assert!(figures.len() > 5, "{figures:?}");
}
