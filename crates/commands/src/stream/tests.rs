use crate::testing::TestClient;

#[test]
fn xread_resp2() {
    let mut c = TestClient::new();
    c.run(&["XADD", "r", "1-1", "a", "1"]);
    assert_eq!(c.run(&["XREAD", "STREAMS", "r", "0"]), "*1\r\n*2\r\n$1\r\nr\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
}
