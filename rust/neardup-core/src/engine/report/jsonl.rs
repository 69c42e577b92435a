//! The JSON Lines report: a `summary` record, then one record per changed, added, removed and unchanged
//! entry and per duplicate group, each with a `kind` member; keys sorted, values as in the JSON report
//! ([`super::super::json`]), so a consumer can stream a large report record by record.

use std::fmt::Write as _;

use super::super::json::{changed, entry, group, snapshot, unchanged, SCHEMA_VERSION};
use super::super::snapshot::Outcome;
use super::{counts, groups, Pieces, Segment, Source};

pub(super) fn segments<'a>(
    outcome: &'a Outcome,
    old: Source<'a>,
    new: Source<'a>,
) -> Vec<Segment<'a>> {
    let (o, n) = (old.records, new.records);
    let c = counts(outcome);
    let mut out = Pieces::new();
    let text = &mut out.current;
    let _ = write!(
        text,
        "{{\"added\": {}, \"changed\": {}, \"duplicates\": {}, \"kind\": \"summary\", \
         \"meta_changed\": {}, \"new\": ",
        c.added, c.changed, c.duplicates, c.meta_changed
    );
    snapshot(text, &new);
    text.push_str(", \"old\": ");
    snapshot(text, &old);
    let _ = writeln!(
        text,
        ", \"removed\": {}, \"schema_version\": {SCHEMA_VERSION}, \"unchanged\": {}}}",
        c.removed, c.unchanged
    );
    out.items(&outcome.changed, "", move |out, m| {
        changed(out, m, o, n, Some("changed"));
        out.push('\n');
    });
    for (kind, positions, records) in [
        ("added", &outcome.added, n),
        ("removed", &outcome.removed, o),
    ] {
        out.items(positions, "", move |out, &at| {
            out.push_str("{\"entry\": ");
            entry(out, &records[at as usize], at);
            let _ = writeln!(out, ", \"kind\": \"{kind}\"}}");
        });
    }
    out.items(&outcome.unchanged, "", move |out, m| {
        unchanged(out, m, n, Some("unchanged"));
        out.push('\n');
    });
    for (label, g, _) in groups(outcome, o, n) {
        group(&mut out.current, label, g, Some("duplicates"));
        out.current.push('\n');
    }
    out.finish()
}
