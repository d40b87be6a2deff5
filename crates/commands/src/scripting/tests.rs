use crate::testing::TestClient;

fn sha(body: &str) -> String {
    String::from_utf8(moon_script::sha1_hex(body.as_bytes()).to_vec()).unwrap()
}

#[test]
fn eval_runs_commands() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["eval", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"]), "+OK\r\n");
    assert_eq!(c.run(&["get", "k"]), "$1\r\nv\r\n");
    assert_eq!(c.run(&["eval", "return redis.call('get', KEYS[1])", "1", "k"]), "$1\r\nv\r\n");
    assert_eq!(
        c.run(&["eval", "return redis.call('incr', 'k')", "0"]).starts_with("-ERR value is not an integer or out of range script: "),
        true
    );
}

#[test]
fn script_call_checks() {
    let mut c = TestClient::new();
    let b = "return redis.call('nosuch')";
    assert_eq!(
        c.run(&["eval", b, "0"]),
        format!("-ERR Unknown Redis command called from script script: {}, on @user_script:1.\r\n", sha(b))
    );
    let b = "return redis.call('get')";
    assert_eq!(
        c.run(&["eval", b, "0"]),
        format!("-ERR Wrong number of args calling Redis command from script script: {}, on @user_script:1.\r\n", sha(b))
    );
    let b = "return redis.call('eval', 'return 1', '0')";
    assert_eq!(
        c.run(&["eval", b, "0"]),
        format!("-ERR This Redis command is not allowed from script script: {}, on @user_script:1.\r\n", sha(b))
    );
    let b = "return redis.call('set', 'a', 'b')";
    assert_eq!(
        c.run(&["eval_ro", b, "0"]),
        format!("-ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:1.\r\n", sha(b))
    );
    let b = "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')";
    assert_eq!(
        c.run(&["eval", b, "0"]),
        format!("-ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:2.\r\n", sha(b))
    );
    assert_eq!(c.run(&["eval", "#!lua flags=bogus\nreturn 1", "0"]), "-ERR Unexpected flag in script shebang: bogus\r\n");
}

#[test]
fn numkeys_and_evalsha() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["eval", "return 1", "-1"]), "-ERR Number of keys can't be negative\r\n");
    assert_eq!(c.run(&["eval", "return 1", "2", "a"]), "-ERR Number of keys can't be greater than number of args\r\n");
    assert_eq!(c.run(&["eval", "return 1", "x"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.run(&["evalsha", &sha("return 7"), "0"]), "-NOSCRIPT No matching script. Please use EVAL.\r\n");
    assert_eq!(c.run(&["script", "load", "return 7"]), format!("$40\r\n{}\r\n", sha("return 7")));
    assert_eq!(c.run(&["evalsha", &sha("return 7").to_uppercase(), "0"]), ":7\r\n");
    assert_eq!(c.run(&["script", "exists", &sha("return 7"), "nope"]), "*2\r\n:1\r\n:0\r\n");
    assert_eq!(c.run(&["script", "flush", "x"]), "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n");
    assert_eq!(c.run(&["script", "flush", "async"]), "+OK\r\n");
    assert_eq!(c.run(&["script", "exists", &sha("return 7")]), "*1\r\n:0\r\n");
    assert_eq!(c.run(&["script", "kill"]), "-NOTBUSY No scripts in execution right now.\r\n");
}

#[test]
fn select_in_script_keeps_caller_db() {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["eval", "redis.call('select', 5) return redis.call('set', 'x', 1)", "0"]), "+OK\r\n");
    assert_eq!(c.run(&["exists", "x"]), ":0\r\n");
    c.run(&["select", "5"]);
    assert_eq!(c.run(&["exists", "x"]), ":1\r\n");
}

#[test]
fn functions_load_call_list_delete() {
    let mut c = TestClient::new();
    let lib = "#!lua name=mylib\nredis.register_function('setit', function(keys, args) return redis.call('set', keys[1], args[1]) end)\nredis.register_function{function_name='getit', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
    assert_eq!(c.run(&["function", "load", lib]), "$5\r\nmylib\r\n");
    assert_eq!(c.run(&["function", "load", lib]), "-ERR Library 'mylib' already exists\r\n");
    assert_eq!(c.run(&["function", "load", "replace", lib]), "$5\r\nmylib\r\n");
    assert_eq!(c.run(&["fcall", "setit", "1", "k", "v"]), "+OK\r\n");
    assert_eq!(c.run(&["fcall_ro", "GETIT", "1", "k"]), "$1\r\nv\r\n");
    assert_eq!(c.run(&["fcall_ro", "setit", "1", "k", "v"]), "-ERR Can not execute a script with write flag using *_ro command.\r\n");
    assert_eq!(c.run(&["fcall", "nope", "0"]), "-ERR Function not found\r\n");
    assert_eq!(c.run(&["fcall", "setit", "x"]), "-ERR Bad number of keys provided\r\n");
    assert_eq!(
        c.run(&["function", "load", "#!lua name=bad\nredis.call('ping')"]),
        "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'\r\n"
    );
    assert_eq!(
        c.run(&["function", "load", "#!lua name=x-y\n"]),
        "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n"
    );
    let list = c.run(&["function", "list", "libraryname", "my*"]);
    assert!(list.starts_with("*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"), "{list}");
    assert!(list.contains("$5\r\nflags\r\n*1\r\n+no-writes\r\n"), "{list}");
    assert_eq!(c.run(&["function", "delete", "mylib"]), "+OK\r\n");
    assert_eq!(c.run(&["function", "delete", "mylib"]), "-ERR Library not found\r\n");
    assert_eq!(c.run(&["function", "kill"]), "-NOTBUSY No scripts in execution right now.\r\n");
}

#[test]
fn functions_dump_restore() {
    let mut c = TestClient::new();
    c.run(&["function", "load", "#!lua name=d1\nredis.register_function('d1f', function() return 'd1' end)"]);
    let dump = c.run_bytes(&[b"function", b"dump"]);
    // "$<len>\r\n" + payload + "\r\n"
    let start = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
    let payload = dump[start..dump.len() - 2].to_vec();
    assert_eq!(c.run_bytes(&[b"function", b"restore", &payload]), b"-ERR Library d1 already exists\r\n");
    assert_eq!(c.run_bytes(&[b"function", b"restore", &payload, b"replace"]), b"+OK\r\n");
    assert_eq!(c.run(&["function", "flush"]), "+OK\r\n");
    assert_eq!(c.run_bytes(&[b"function", b"restore", &payload]), b"+OK\r\n");
    assert_eq!(c.run(&["fcall", "d1f", "0"]), "$2\r\nd1\r\n");
    assert_eq!(c.run(&["function", "restore", "junk"]), "-ERR DUMP payload version or checksum are wrong\r\n");
}

#[test]
fn acl_check_cmd_and_call_permissions() {
    let mut admin = TestClient::new();
    assert_eq!(admin.run(&["eval", "return redis.acl_check_cmd('set', 'a', 1)", "0"]), ":1\r\n");
    let b = "return redis.acl_check_cmd('config', 'nosub')";
    assert_eq!(
        admin.run(&["eval", b, "0"]),
        format!("-ERR Invalid command passed to redis.acl_check_cmd() script: {}, on @user_script:1.\r\n", sha(b))
    );
    assert_eq!(
        admin.run(&["eval", "return {pcall(redis.acl_check_cmd)}", "0"]),
        "*2\r\n$-1\r\n$64\r\nERR Please specify at least one argument for this redis lib call\r\n"
    );
    assert_eq!(admin.run(&["acl", "setuser", "u", "on", "nopass", "~foo*", "+eval", "+get", "-set"]), "+OK\r\n");
    let mut c = TestClient::connect(admin.srv.clone());
    assert_eq!(c.run(&["auth", "u", "x"]), "+OK\r\n");
    assert_eq!(c.run(&["eval", "return redis.acl_check_cmd('get', 'foo')", "0"]), ":1\r\n");
    assert_eq!(c.run(&["eval", "return redis.acl_check_cmd('get', 'bar')", "0"]), "$-1\r\n");
    assert_eq!(c.run(&["eval", "return redis.acl_check_cmd('set', 'foo', 'x')", "0"]), "$-1\r\n");
    assert_eq!(
        c.run(&["eval", "return redis.pcall('set', 'foo', 'x')", "0"]),
        "-ERR ACL failure in script: User u has no permissions to run the 'set' command\r\n"
    );
    let b = "return redis.call('get', 'bar')";
    assert_eq!(
        c.run(&["eval", b, "0"]),
        format!("-ERR ACL failure in script: No permissions to access a key script: {}, on @user_script:1.\r\n", sha(b))
    );
    assert_eq!(admin.run(&["get", "foo"]), "$-1\r\n");
    // Both refusals are in the ACL log with the "lua" context.
    let log = admin.run(&["acl", "log"]);
    assert_eq!(log.matches("$3\r\nlua\r\n").count(), 2, "{log}");
}

#[test]
fn numbers_as_call_arguments() {
    let mut c = TestClient::new();
    let set_get =
        |c: &mut TestClient, v: &str| c.run(&["eval", &format!("redis.call('set', 'n', {v}) return redis.call('get', 'n')"), "0"]);
    assert_eq!(set_get(&mut c, "0.1 + 0.2"), "$19\r\n0.30000000000000004\r\n");
    assert_eq!(set_get(&mut c, "1e20"), "$5\r\n1e+20\r\n");
    assert_eq!(set_get(&mut c, "2^53"), "$16\r\n9007199254740992\r\n");
    assert_eq!(set_get(&mut c, "-0.0"), "$1\r\n0\r\n");
    assert_eq!(set_get(&mut c, "0/0"), "$4\r\n-nan\r\n");
    assert_eq!(set_get(&mut c, "-1/0"), "$4\r\n-inf\r\n");
}

#[test]
fn version_constants_agree_with_info() {
    let mut c = TestClient::new();
    let info = c.run(&["info", "server"]);
    let version = info.lines().find_map(|l| l.strip_prefix("redis_version:")).expect("redis_version").to_string();
    assert_eq!(c.run(&["eval", "return redis.REDIS_VERSION", "0"]), format!("${}\r\n{version}\r\n", version.len()));
    let num = version.split('.').fold(0i64, |acc, p| (acc << 8) | p.parse::<i64>().unwrap());
    assert_eq!(c.run(&["eval", "return redis.REDIS_VERSION_NUM", "0"]), format!(":{num}\r\n"));
    // Functions see the same constants, while loading and when called.
    let lib =
        "#!lua name=vlib\nlocal v = redis.REDIS_VERSION\nredis.register_function('vf', function() return {v, redis.REDIS_VERSION_NUM} end)";
    assert_eq!(c.run(&["function", "load", lib]), "$4\r\nvlib\r\n");
    assert_eq!(c.run(&["fcall", "vf", "0"]), format!("*2\r\n${}\r\n{version}\r\n:{num}\r\n", version.len()));
}
