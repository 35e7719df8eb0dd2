//! Part file bytes, as `merge` reads them: parsing and checking must never panic or
//! allocate without bound, and a part that passes must export every file.
#![no_main]

use edgesim::export::part::Part;
use edgesim::results::Results;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(part) = Part::parse(data) else {
        return;
    };
    let mut study = part.study.clone();
    // Counts that would overflow when merged are refused; nothing to export then.
    if study.merge(&part.study).is_err() {
        return;
    }
    let results = Results::new(part.info, part.description, part.warnings, study);
    for exporter in edgesim::export::file_exporters(false) {
        let _ = exporter.export(&results);
    }
    let _ = edgesim::export::table::terminal_table(&results);
});
