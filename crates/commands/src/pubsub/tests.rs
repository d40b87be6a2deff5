use crate::testing::TestClient;

#[test]
fn subscribe_replies_and_delivery_to_the_mailbox() {
    let mut s = TestClient::new();
    let mut p = TestClient::connect(s.srv.clone());
    assert_eq!(s.run(&["SUBSCRIBE", "a", "b"]), "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    assert_eq!(s.run(&["PSUBSCRIBE", "*"]), "*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:3\r\n");
    assert_eq!(p.run(&["PUBLISH", "a", "hi"]), ":2\r\n");
    let mail = String::from_utf8(s.conn.handle.take_mail()).unwrap();
    assert_eq!(mail, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\na\r\n$2\r\nhi\r\n");
    assert_eq!(
        s.run(&["GET", "x"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert!(p.run(&["INFO", "clients"]).contains("pubsub_clients:1"));
    assert_eq!(s.run(&["RESET"]), "+RESET\r\n");
    assert_eq!(p.run(&["PUBLISH", "a", "hi"]), ":0\r\n");
    assert!(p.run(&["INFO", "clients"]).contains("pubsub_clients:0"));
}

#[test]
fn resp3_subscribers_get_push_frames_and_may_run_anything() {
    let mut s = TestClient::new();
    s.run(&["HELLO", "3"]);
    let mut p = TestClient::connect(s.srv.clone());
    assert_eq!(s.run(&["SSUBSCRIBE", "x"]), ">3\r\n$10\r\nssubscribe\r\n$1\r\nx\r\n:1\r\n");
    assert_eq!(s.run(&["GET", "k"]), "_\r\n");
    assert_eq!(p.run(&["SPUBLISH", "x", "m"]), ":1\r\n");
    assert_eq!(String::from_utf8(s.conn.handle.take_mail()).unwrap(), ">3\r\n$8\r\nsmessage\r\n$1\r\nx\r\n$1\r\nm\r\n");
}
