use crate::testing::TestClient;

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

#[test]
fn default_user_and_list() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["ACL", "LIST"]), format!("*1\r\n{}", bulk("user default on nopass sanitize-payload ~* &* +@all")));
    assert_eq!(c.run(&["ACL", "WHOAMI"]), bulk("default"));
    assert_eq!(c.run(&["ACL", "SETUSER", "x"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "USERS"]), "*2\r\n$7\r\ndefault\r\n$1\r\nx\r\n");
    assert_eq!(c.run(&["ACL", "LIST"]).lines().nth(4).unwrap(), "user x off sanitize-payload resetchannels -@all");
}

#[test]
fn rules_are_described_as_redis_prints_them() {
    let mut c = TestClient::new();
    let set = |c: &mut TestClient, args: &[&str]| {
        let mut v = vec!["ACL", "SETUSER", "u"];
        v.extend_from_slice(args);
        c.run(&v)
    };
    let line = |c: &mut TestClient| c.run(&["ACL", "LIST"]).lines().last().unwrap().to_string();
    assert_eq!(
        set(
            &mut c,
            &["on", ">pw", "~a*", "%R~r*", "%W~w*", "%RW~b*", "&ch*", "+@read", "-@dangerous", "+client|kill", "+select|0", "-get"]
        ),
        "+OK\r\n"
    );
    assert_eq!(
        line(&mut c),
        "user u on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* %R~r* %W~w* ~b* resetchannels &ch* -@all +@read -@dangerous +client|kill +select|0 -get"
    );
    set(&mut c, &["reset", "+@all", "-get", "+get"]);
    assert_eq!(line(&mut c), "user u off sanitize-payload resetchannels +@all +get");
    set(&mut c, &["reset", "+@read", "+get|a", "+get|b", "-get", "+get|c"]);
    assert_eq!(line(&mut c), "user u off sanitize-payload resetchannels -@all +@read -get +get|c");
    set(&mut c, &["reset", "%r~A*", "~B*", "%W~B*", "&X", "&X", "&*", "(~x* +set)", "()"]);
    assert_eq!(line(&mut c), "user u off sanitize-payload %R~A* ~B* &* -@all (~x* resetchannels -@all +set) (resetchannels -@all)");
    set(&mut c, &["clearselectors", "nopass", "skip-sanitize-payload", "allkeys"]);
    assert_eq!(line(&mut c), "user u off nopass skip-sanitize-payload ~* &* -@all");
}

#[test]
fn setuser_errors_change_nothing() {
    let mut c = TestClient::new();
    c.run(&["ACL", "SETUSER", "t", "on"]);
    let cases = [
        ("+nosuch", "Unknown command or category name in ACL"),
        ("+client|nosub", "Unknown command or category name in ACL"),
        ("+client|kill|x", "Allowing first-arg of a subcommand is not supported"),
        ("-select|0", "Unknown command or category name in ACL"),
        ("+select|", "Syntax error"),
        ("blah", "Syntax error"),
        ("%X~a", "Syntax error"),
        ("%~a", "Syntax error"),
        ("<nopw", "The password you are trying to remove from the user does not exist"),
        ("#abc", "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
    ];
    for (op, why) in cases {
        assert_eq!(c.run(&["ACL", "SETUSER", "t", "+get", op]), format!("-ERR Error in ACL SETUSER modifier '{op}': {why}\r\n"));
    }
    assert_eq!(c.run(&["ACL", "SETUSER", "t", "(~a", "+get"]), "-ERR Unmatched parenthesis in acl selector starting at '(~a'.\r\n");
    assert!(c.run(&["ACL", "SETUSER", "t", "~*", "~a"]).contains("Try 'resetkeys'"));
    assert_eq!(c.run(&["ACL", "SETUSER", "a b"]), "-ERR Usernames can't contain spaces or null characters\r\n");
    assert_eq!(c.run(&["ACL", "LIST"]).lines().last().unwrap(), "user t on sanitize-payload resetchannels -@all");
    assert_eq!(c.run(&["ACL", "DELUSER", "default"]), "-ERR The 'default' user cannot be removed\r\n");
    assert_eq!(c.run(&["ACL", "DELUSER", "t", "nobody"]), ":1\r\n");
}

#[test]
fn restricted_user_is_refused_commands_keys_and_channels() {
    let mut admin = TestClient::new();
    admin.run(&["ACL", "SETUSER", "r", "on", ">pw", "~a*", "%R~r*", "%W~w*", "&ch*", "+@all", "-flushall"]);
    let mut c = TestClient::connect(admin.srv.clone());
    assert_eq!(c.run(&["AUTH", "r", "pw"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "WHOAMI"]), bulk("r"));
    assert_eq!(c.run(&["GET", "b"]), "-NOPERM No permissions to access a key\r\n");
    assert_eq!(c.run(&["GET", "r1"]), "$-1\r\n");
    assert_eq!(c.run(&["SET", "r1", "x"]), "-NOPERM No permissions to access a key\r\n");
    assert_eq!(c.run(&["SET", "w1", "x"]), "+OK\r\n");
    assert_eq!(c.run(&["GET", "w1"]), "-NOPERM No permissions to access a key\r\n");
    assert_eq!(c.run(&["SET", "a1", "x"]), "+OK\r\n");
    assert_eq!(c.run(&["FLUSHALL"]), "-NOPERM User r has no permissions to run the 'flushall' command\r\n");
    assert_eq!(c.run(&["COPY", "r1", "w2"]), ":0\r\n");
    assert_eq!(c.run(&["MSET", "a1", "x", "b", "y"]), "-NOPERM No permissions to access a key\r\n");
    // The log: newest first, with the object and the user.
    let log = admin.run(&["ACL", "LOG", "1"]);
    assert!(
        log.contains(
            "$6\r\nreason\r\n$3\r\nkey\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$1\r\nb\r\n$8\r\nusername\r\n$1\r\nr\r\n"
        ),
        "{log}"
    );
    assert!(log.contains("cmd=mset user=r"), "{log}");
    // Another denial of the same key by the same user (GET b, then twice
    // MSET) bumps the count of one entry.
    c.run(&["MSET", "a1", "x", "b", "y"]);
    let log = admin.run(&["ACL", "LOG", "1"]);
    assert!(log.starts_with("*1\r\n*20\r\n$5\r\ncount\r\n:3\r\n"), "{log}");
    assert_eq!(admin.run(&["ACL", "LOG", "RESET"]), "+OK\r\n");
    assert_eq!(admin.run(&["ACL", "LOG"]), "*0\r\n");
    // Permissions follow changes to the user at once.
    admin.run(&["ACL", "SETUSER", "r", "-get"]);
    assert_eq!(c.run(&["GET", "a1"]), "-NOPERM User r has no permissions to run the 'get' command\r\n");
    // Commands that need no authentication are always allowed.
    admin.run(&["ACL", "SETUSER", "r", "-@all"]);
    assert_eq!(c.run(&["AUTH", "r", "pw"]), "+OK\r\n");
}

#[test]
fn channels_and_dryrun() {
    let mut c = TestClient::new();
    c.run(&["ACL", "SETUSER", "p", "on", "nopass", "+@all", "~*", "resetchannels", "&ch*", "&lit*"]);
    let srv = c.srv.clone();
    let u = srv.acl.get("p").unwrap();
    assert!(super::user_may_use_channel(&u, b"chat", false));
    assert!(!super::user_may_use_channel(&u, b"news", false));
    assert!(super::user_may_use_channel(&u, b"lit*", true));
    assert!(!super::user_may_use_channel(&u, b"ch*x", true));
    c.run(&["ACL", "SETUSER", "d", "on", "~a*", "+get", "+client|kill", "+select|0"]);
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "get", "a1"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "get", "b"]), bulk("User d has no permissions to access the 'b' key"));
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "set", "a", "b"]), bulk("User d has no permissions to run the 'set' command"));
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "select", "0"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "select", "1"]), bulk("User d has no permissions to run the 'select' command"));
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "client", "kill", "id", "1"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "client", "list"]), bulk("User d has no permissions to run the 'client|list' command"));
    assert_eq!(c.run(&["ACL", "DRYRUN", "nouser", "get", "a"]), "-ERR User 'nouser' not found\r\n");
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "nocmd"]), "-ERR Command 'nocmd' not found\r\n");
    assert_eq!(c.run(&["ACL", "DRYRUN", "d", "get"]), "-ERR wrong number of arguments for 'get' command\r\n");
}

#[test]
fn requirepass_is_the_default_users_password() {
    let mut c = TestClient::with_config(&[("requirepass", "sec")]);
    assert_eq!(c.run(&["GET", "a"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.run(&["AUTH", "bad"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    assert_eq!(c.run(&["AUTH", "sec"]), "+OK\r\n");
    assert!(c
        .run(&["ACL", "LIST"])
        .contains("user default on sanitize-payload #add93534eeb463800fe0ed0946048d33636dd2a014fab92e8a37f77ce98c740b ~* &* +@all"));
    assert_eq!(c.run(&["CONFIG", "SET", "requirepass", ""]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "LIST"]), format!("*1\r\n{}", bulk("user default on nopass sanitize-payload ~* &* +@all")));
    assert_eq!(
        c.run(&["AUTH", "x"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // A failed AUTH is logged under the name tried.
    assert_eq!(c.run(&["AUTH", "nouser", "x"]), "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    let log = c.run(&["ACL", "LOG"]);
    assert!(
        log.contains("$4\r\nauth\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$4\r\nAUTH\r\n$8\r\nusername\r\n$6\r\nnouser\r\n"),
        "{log}"
    );
    // A password set on the default user makes new clients authenticate.
    c.run(&["ACL", "SETUSER", "default", ">zz"]);
    let mut d = TestClient::connect(c.srv.clone());
    assert_eq!(d.run(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert!(d.run(&["HELLO", "2", "AUTH", "default", "zz"]).starts_with("*14\r\n"));
    assert_eq!(d.run(&["PING"]), "+PONG\r\n");
}

#[test]
fn deleted_users_lose_their_clients_and_getuser() {
    let mut admin = TestClient::new();
    admin.run(&["ACL", "SETUSER", "k", "on", ">k", "+@all", "~*", "(+get ~x*)"]);
    let mut c = TestClient::connect(admin.srv.clone());
    c.run(&["AUTH", "k", "k"]);
    assert_eq!(admin.run(&["CLIENT", "KILL", "USER", "nobody"]), "-ERR No such user 'nobody'\r\n");
    let g = admin.run(&["ACL", "GETUSER", "k"]);
    assert!(g.starts_with("*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$16\r\nsanitize-payload\r\n$9\r\npasswords\r\n*1\r\n"), "{g}");
    assert!(
        g.ends_with(
            "$9\r\nselectors\r\n*1\r\n*6\r\n$8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$3\r\n~x*\r\n$8\r\nchannels\r\n$0\r\n\r\n"
        ),
        "{g}"
    );
    assert_eq!(admin.run(&["ACL", "GETUSER", "nobody"]), "$-1\r\n");
    assert_eq!(admin.run(&["ACL", "DELUSER", "k"]), ":1\r\n");
    assert!(c.conn.handle.kill_requested.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
fn cat_and_genpass() {
    let mut c = TestClient::new();
    assert!(c.run(&["ACL", "CAT"]).starts_with("*21\r\n$8\r\nkeyspace\r\n"));
    let read = c.run(&["ACL", "CAT", "read"]);
    assert!(read.contains("\r\nget\r\n") && !read.contains("\r\nset\r\n"));
    assert!(c.run(&["ACL", "CAT", "admin"]).contains("\r\nclient|kill\r\n"));
    assert_eq!(c.run(&["ACL", "CAT", "nosuch"]), "-ERR Unknown category 'nosuch'\r\n");
    assert_eq!(c.run(&["ACL", "GENPASS"]).len(), 64 + 5 + 2);
    assert_eq!(c.run(&["ACL", "GENPASS", "5"]).len(), 2 + 4 + 2);
    assert!(c.run(&["ACL", "GENPASS", "0"]).starts_with("-ERR ACL GENPASS argument must be"));
    assert_eq!(c.run(&["ACL", "GENPASS", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["ACL", "LOG", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["ACL", "log", "1", "2"]), "-ERR unknown subcommand or wrong number of arguments for 'log'. Try ACL HELP.\r\n");
}

#[test]
fn acl_file_load_and_save() {
    let dir = std::env::temp_dir().join(format!("moon-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.acl");
    let p = path.to_str().unwrap();
    std::fs::write(&path, "user default on nopass ~* &* +@all\nuser a on >x ~a* +get\n").unwrap();
    let mut c = TestClient::with_config(&[("aclfile", p)]);
    assert_eq!(c.run(&["ACL", "LOAD"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "USERS"]), "*2\r\n$1\r\na\r\n$7\r\ndefault\r\n");
    c.run(&["ACL", "SETUSER", "b", "on"]);
    assert_eq!(c.run(&["ACL", "SAVE"]), "+OK\r\n");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "user a on sanitize-payload #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~a* resetchannels -@all +get\n\
         user b on sanitize-payload resetchannels -@all\nuser default on nopass sanitize-payload ~* &* +@all\n"
    );
    std::fs::write(&path, "user default on nopass ~* &* +@all\nuser a on >x ~a* +nosuch\nfoo bar\nuser c\n").unwrap();
    assert_eq!(
        c.run(&["ACL", "LOAD"]),
        format!("-ERR {p}:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. {p}:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n")
    );
    std::fs::write(&path, "user a on\nuser a off\n").unwrap();
    assert_eq!(
        c.run(&["ACL", "LOAD"]),
        "-ERR WARNING: Duplicate user 'a' found on line 2. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n"
    );
    std::fs::write(&path, "user a on\n").unwrap();
    assert_eq!(c.run(&["ACL", "LOAD"]), "+OK\r\n");
    assert_eq!(c.run(&["ACL", "USERS"]), "*2\r\n$1\r\na\r\n$7\r\ndefault\r\n");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(c.run(&["ACL", "LOAD"]), format!("-ERR Error loading ACLs, opening file '{p}': No such file or directory\r\n"));
    let mut d = TestClient::new();
    assert!(d.run(&["ACL", "SAVE"]).starts_with("-ERR This Redis instance is not configured to use an ACL file."));
}

#[test]
fn the_check_is_a_flag_for_an_unrestricted_user() {
    let mut c = TestClient::new();
    c.run(&["PING"]);
    assert!(c.conn.acl.unrestricted);
    c.run(&["ACL", "SETUSER", "default", "-flushall"]);
    c.run(&["PING"]);
    assert!(!c.conn.acl.unrestricted);
    assert_eq!(c.run(&["FLUSHALL"]), "-NOPERM User default has no permissions to run the 'flushall' command\r\n");
}

#[test]
fn clearing_the_password_lets_unauthenticated_clients_in() {
    let mut c = TestClient::with_config(&[("requirepass", "sec")]);
    let mut admin = TestClient::connect(c.srv.clone());
    assert!(c.run(&["HELLO", "3"]).starts_with("-NOAUTH HELLO must be called"));
    admin.run(&["AUTH", "sec"]);
    admin.run(&["CONFIG", "SET", "requirepass", ""]);
    assert!(c.run(&["HELLO", "2"]).starts_with("*14\r\n"));
    assert_eq!(c.run(&["PING"]), "+PONG\r\n");
    // RESET returns to the default user.
    admin.run(&["ACL", "SETUSER", "v", "on", "nopass", "+@all"]);
    c.run(&["AUTH", "v", "x"]);
    assert_eq!(c.run(&["ACL", "WHOAMI"]), bulk("v"));
    assert_eq!(c.run(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.run(&["ACL", "WHOAMI"]), bulk("default"));
}
