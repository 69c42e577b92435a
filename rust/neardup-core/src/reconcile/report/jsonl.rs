//! The JSON Lines report: a `summary` record, then one record per changed, added, removed and unchanged
//! entry and per duplicate group, each with a `kind` member; keys sorted, values as in the JSON report
//! ([`super::super::json`]), so a consumer can stream a large report record by record.

use std::fmt::Write as _;

use super::super::json::{
    changed, entry, evidence, float, names, round6, snapshot, string, SCHEMA_VERSION,
};
use super::super::snapshot::{Group, Outcome};
use super::{counts, Pieces, Segment, Source};

fn group(out: &mut String, label: &str, g: &Group) {
    let members: Vec<String> = g.members.iter().map(u32::to_string).collect();
    let _ = write!(
        out,
        "{{\"kind\": \"duplicates\", \"members\": [{}], \"similarity\": ",
        members.join(", ")
    );
    float(out, round6(g.similarity));
    out.push_str(", \"snapshot\": ");
    string(out, label);
    out.push_str("}\n");
}

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
        out.push('{');
        evidence(out, m);
        out.push_str("\"kind\": \"unchanged\", \"match\": ");
        string(out, m.how.name());
        out.push_str(", \"meta_changed\": ");
        names(out, &m.meta_changed);
        let _ = write!(
            out,
            ", \"new_position\": {}, \"old_position\": {}, \"title\": ",
            m.new, m.old
        );
        string(out, n[m.new as usize].title());
        out.push_str("}\n");
    });
    for g in &outcome.duplicates_old {
        group(&mut out.current, "old", g);
    }
    for g in &outcome.duplicates_new {
        group(&mut out.current, "new", g);
    }
    out.finish()
}
