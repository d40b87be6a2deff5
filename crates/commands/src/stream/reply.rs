//! Reply shapes shared by the stream commands.

use moon_resp::Out;
use moon_store::stream::{StreamEntry, StreamId};

pub fn id(out: &mut Out, id: StreamId) {
    out.bulk(id.fmt_buf().as_bytes());
}

/// `[id, [field, value, ...]]`, an array in both protocols.
pub fn entry(out: &mut Out, e: &StreamEntry) {
    out.array(2);
    id(out, e.id);
    out.array(e.nfields() * 2);
    for (f, v) in e.fields() {
        out.bulk(f);
        out.bulk(v);
    }
}

/// An entry, or `[id, nil]` for a pending ID whose entry was deleted.
pub fn entry_or_deleted(out: &mut Out, i: StreamId, e: Option<StreamEntry>) {
    match e {
        Some(e) => entry(out, &e),
        None => {
            out.array(2);
            id(out, i);
            out.null_array();
        }
    }
}
