use super::*;

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn add(s: &mut Stream, i: StreamId, pairs: &[&str]) {
    let p: Vec<&[u8]> = pairs.iter().map(|x| x.as_bytes()).collect();
    s.append(i, &p, NodeLimits::default()).unwrap();
}

fn ids(it: impl Iterator<Item = StreamId>) -> Vec<StreamId> {
    it.collect()
}

fn filled(n: u64) -> Stream {
    let mut s = Stream::new();
    for i in 1..=n {
        add(&mut s, id(i, 0), &["f", "v"]);
    }
    s
}

#[test]
fn append_and_read_back_fields() {
    let mut s = Stream::new();
    add(&mut s, id(1, 1), &["a", "1", "b", "2"]);
    add(&mut s, id(1, 2), &["a", "3", "b", "4"]);
    add(&mut s, id(2, 0), &["c", "5"]);
    assert_eq!(s.len(), 3);
    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
    let all: Vec<(StreamId, Pairs)> =
        s.range(StreamId::MIN, StreamId::MAX).map(|e| (e.id, e.fields().map(|(f, v)| (f.to_vec(), v.to_vec())).collect())).collect();
    assert_eq!(all[1].0, id(1, 2));
    assert_eq!(all[1].1, vec![(b"a".to_vec(), b"3".to_vec()), (b"b".to_vec(), b"4".to_vec())]);
    assert_eq!(all[2].1, vec![(b"c".to_vec(), b"5".to_vec())]);
    assert_eq!(s.append(id(2, 0), &[b"x", b"y"], NodeLimits::default()), Err(AppendError::NotGreater));
    assert_eq!(s.first_id, id(1, 1));
    assert_eq!(s.entries_added, 3);
}

#[test]
fn seq_deltas_may_be_negative() {
    let mut s = Stream::new();
    add(&mut s, id(5, 100), &["a", "1"]);
    add(&mut s, id(6, 0), &["a", "1"]);
    add(&mut s, id(u64::MAX, u64::MAX), &["a", "1"]);
    assert_eq!(ids(s.range(StreamId::MIN, StreamId::MAX).map(|e| e.id)), vec![id(5, 100), id(6, 0), StreamId::MAX]);
}

#[test]
fn ranges_forward_and_backward() {
    let s = filled(350);
    assert_eq!(s.radix_tree_keys(), 4);
    assert_eq!(ids(s.range(id(99, 0), id(102, 5)).map(|e| e.id)), vec![id(99, 0), id(100, 0), id(101, 0), id(102, 0)]);
    assert_eq!(ids(s.range_rev(id(99, 0), id(102, 5)).map(|e| e.id)), vec![id(102, 0), id(101, 0), id(100, 0), id(99, 0)]);
    assert_eq!(s.range_rev(StreamId::MIN, StreamId::MAX).count(), 350);
    assert_eq!(s.range(id(400, 0), StreamId::MAX).count(), 0);
    assert_eq!(s.range(id(5, 0), id(4, 0)).count(), 0);
    assert_eq!(s.edge_id(true), id(1, 0));
    assert_eq!(s.edge_id(false), id(350, 0));
}

#[test]
fn delete_flags_and_drops_empty_blocks() {
    let mut s = filled(150);
    assert!(s.delete(id(2, 0)));
    assert!(!s.delete(id(2, 0)));
    assert!(!s.delete(id(1000, 0)));
    assert_eq!(s.len(), 149);
    assert!(s.get(id(2, 0)).is_none());
    for i in 101..=150 {
        assert!(s.delete(id(i, 0)));
    }
    assert_eq!(s.radix_tree_keys(), 1);
    assert_eq!(s.edge_id(false), id(100, 0));
}

#[test]
fn blocks_split_by_entries_and_bytes() {
    let mut s = Stream::new();
    let big = "x".repeat(1000);
    for i in 1..=10 {
        add(&mut s, id(i, 0), &["f", &big]);
    }
    // ~4 KB per block: four 1000-byte values, then a new block.
    assert_eq!(s.radix_tree_keys(), 3);
    let mut t = Stream::new();
    for i in 1..=10 {
        let p: Vec<&[u8]> = vec![b"f", b"v"];
        t.append(id(i, 0), &p, NodeLimits { max_bytes: 0, max_entries: 3 }).unwrap();
    }
    assert_eq!(t.radix_tree_keys(), 4);
}

#[test]
fn trim_exact_and_approximate() {
    let mut s = filled(250);
    let approx = Trim { strategy: TrimStrategy::MaxLen(120), approx: true, limit: 0, policy: DeletePolicy::KeepRef };
    assert_eq!(s.trim(&approx), 100);
    assert_eq!(s.len(), 150);
    let exact = Trim { approx: false, ..approx };
    assert_eq!(s.trim(&exact), 30);
    assert_eq!(s.first_id, id(131, 0));
    let minid = Trim { strategy: TrimStrategy::MinId(id(200, 0)), approx: false, limit: 0, policy: DeletePolicy::KeepRef };
    assert_eq!(s.trim(&minid), 69);
    assert_eq!(s.edge_id(true), id(200, 0));
    let limited = Trim { strategy: TrimStrategy::MaxLen(0), approx: true, limit: 10, policy: DeletePolicy::KeepRef };
    assert_eq!(s.trim(&limited), 1);
}

#[test]
fn acked_trim_stops_at_referenced_entries() {
    let mut s = filled(5);
    s.create_group(b"g", id(2, 0), 2);
    let t = Trim { strategy: TrimStrategy::MaxLen(0), approx: false, limit: 0, policy: DeletePolicy::Acked };
    assert_eq!(s.trim(&t), 2);
    let g = s.group_mut(b"g").unwrap();
    g.create_consumer(b"c", 0);
    g.last_id = id(4, 0);
    g.assign(id(4, 0), b"c", 0, 1);
    assert_eq!(s.trim(&t), 1);
    let del = Trim { policy: DeletePolicy::DelRef, ..t };
    assert_eq!(s.trim(&del), 2);
    assert!(s.group(b"g").unwrap().pel.is_empty());
    assert!(s.group(b"g").unwrap().consumer(b"c").unwrap().pel.is_empty());
}

#[test]
fn lag_and_read_counter_estimates() {
    let mut s = filled(5);
    assert_eq!(s.estimate_distance(id(5, 0)), Some(5));
    assert_eq!(s.estimate_distance(id(6, 0)), None);
    assert_eq!(s.estimate_distance(id(1, 0)), Some(1));
    assert_eq!(s.estimate_distance(id(0, 5)), Some(0));
    assert_eq!(s.estimate_distance(id(3, 0)), None);
    s.delete(id(3, 0));
    s.note_deleted(id(3, 0));
    let mut g = Group::new(id(2, 0), 2);
    assert!(s.range_has_tombstones(Some(g.last_id), None));
    assert_eq!(s.group_lag(&g), None);
    // Redis counts on from a valid counter once no tombstone lies ahead,
    // even though the jump to 4-0 skipped the deleted 3-0.
    s.advance_group(&mut g, id(4, 0));
    assert_eq!(g.entries_read, 3);
    s.advance_group(&mut g, id(5, 0));
    assert_eq!(g.entries_read, 4);
    assert_eq!(s.group_lag(&g), Some(1));
    let mut h = Group::new(id(2, 0), INVALID_ENTRIES_READ);
    s.advance_group(&mut h, id(5, 0));
    assert_eq!(h.entries_read, 5);
}

#[test]
fn radix_node_counts() {
    assert_eq!(Stream::new().radix_tree_nodes(), 1);
    let s = filled(1);
    assert_eq!(s.radix_tree_nodes(), 2);
    let s = filled(101);
    // Keys 1-0 and 101-0 share 7 bytes: the root (compressed), the
    // branch, two compressed children and two leaves.
    assert_eq!(s.radix_tree_nodes(), 6);
}

#[test]
fn consumers_and_pel() {
    let mut g = Group::new(StreamId::MIN, 0);
    assert!(g.create_consumer(b"a", 1));
    assert!(!g.create_consumer(b"a", 1));
    g.create_consumer(b"b", 1);
    g.assign(id(1, 0), b"a", 5, 1);
    g.assign(id(1, 0), b"b", 6, 2);
    assert!(g.consumer(b"a").unwrap().pel.is_empty());
    assert_eq!(g.consumer(b"b").unwrap().pel.len(), 1);
    assert_eq!(&g.pel[&id(1, 0)].consumer[..], b"b");
    assert_eq!(g.delete_consumer(b"b"), Some(1));
    assert!(g.pel.is_empty());
    assert!(!g.ack(id(1, 0)));
}

#[test]
fn clone_is_deep() {
    let mut s = filled(3);
    let c = s.clone();
    s.delete(id(1, 0));
    assert_eq!(c.len(), 3);
    assert!(c.get(id(1, 0)).is_some());
}
