//! What a board prints on its serial port, on arbitrary bytes: the boot log parser and the
//! configuration console's reader and answer collector, fed in pieces of the sizes the first
//! byte picks. Never a panic; everything kept is bounded; no fact or quote holds a control or
//! invisible character, or a run of 12 or more hex digits (64 or more in a registration ID);
//! only the board's own success line is a success.
#![no_main]

use dps_cert_gen::board::boot_log::{BootLog, DpsOutcome};
use dps_cert_gen::board::console::{
    self, AnswerCollector, ConsoleReader, MAX_ANSWER_LINES, MAX_LISTED_COMMANDS, SET_UDS_SUCCESS,
};
use dps_cert_gen::text::printable::is_unsafe_char;
use dps_cert_gen::text::uds_like::longest_hex_run;
use libfuzzer_sys::fuzz_target;

fn check_text(text: &str) {
    assert!(!text.chars().any(is_unsafe_char), "{text:?}");
    assert!(longest_hex_run(text) < 12, "{text:?}");
    assert!(text.chars().count() <= 83, "{text:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&piece, bytes)) = data.split_first() else {
        return;
    };
    let piece = usize::from(piece % 64) + 1;

    let mut log = BootLog::new();
    for chunk in bytes.chunks(piece) {
        log.feed(chunk);
    }
    log.finish();
    let r = log.report();
    for text in [&r.dps_version, &r.assigned_hub, &r.unusable_traced_id]
        .into_iter()
        .flatten()
    {
        check_text(text);
    }
    if let Some(m) = r.dps_error.as_ref().and_then(|e| e.message.as_ref()) {
        check_text(m);
    }
    if let Ok(Some(known)) = r.registration_id() {
        assert!(longest_hex_run(known.id.as_str()) < 64);
    }
    if let Some(DpsOutcome::Assigned { hub, .. }) = r.outcome() {
        check_text(&hub);
    }
    if let Some(d) = &r.device_id {
        assert!(!d.chars().any(is_unsafe_char), "{d:?}");
        assert!(longest_hex_run(d) < 64, "{d:?}");
    }

    let mut reader = ConsoleReader::new();
    let mut answer = AnswerCollector::new();
    for chunk in bytes.chunks(piece) {
        let events = reader.feed(chunk);
        answer.take(&events);
    }
    assert!(reader.commands().len() <= MAX_LISTED_COMMANDS);
    let got = answer.answer();
    assert!(got.lines.len() <= MAX_ANSWER_LINES);
    for line in &got.lines {
        check_text(line);
    }
    match console::classify_set_uds_answer(&got) {
        Ok(_) => {
            assert_eq!(got.dropped, 0);
            assert!(got.lines.iter().any(|l| l.trim() == SET_UDS_SUCCESS));
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.chars().any(is_unsafe_char), "{text:?}");
            assert!(longest_hex_run(&text) < 12, "{text:?}");
        }
    }
});
