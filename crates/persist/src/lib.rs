//! Persistence in Redis' own formats: RDB snapshots and DUMP payloads,
//! and (later) the multi-part AOF fed by the journal.
