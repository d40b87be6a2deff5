//! Commands through a real client over TCP.

use crate::harness::Moon;

#[test]
fn quit_closes_and_select_is_per_connection() {
    let m = Moon::start(&[]);
    let mut a = m.client();
    let ok: String = redis::cmd("SELECT").arg(5).query(&mut a).unwrap();
    assert_eq!(ok, "OK");
    let err = redis::cmd("SELECT").arg(99).query::<String>(&mut a).unwrap_err();
    assert!(err.to_string().contains("DB index is out of range"), "{err}");
    let ok: String = redis::cmd("QUIT").query(&mut a).unwrap();
    assert_eq!(ok, "OK");
}
