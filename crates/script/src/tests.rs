use crate::{Engine, Host, RunResult};
use moon_resp::{Out, Protocol};

/// Answers GET with a bulk, PING with a status, INCR with an error, and
/// refuses everything else the way the server does.
struct Mock;

impl Host for Mock {
    fn call(&mut self, argv: &moon_resp::Argv, _resp3: bool, out: &mut Out) -> Result<(), String> {
        match argv.get(0) {
            b"get" => out.bulk(b"v"),
            b"ping" => out.simple("PONG"),
            b"incr" => out.error("ERR value is not an integer or out of range"),
            b"hgetall" => {
                out.map(1);
                out.bulk(b"f");
                out.bulk(b"x");
            }
            _ => return Err("Unknown Redis command called from script".into()),
        }
        Ok(())
    }
    fn acl_check(&mut self, argv: &moon_resp::Argv) -> Result<bool, String> {
        match argv.get(0) {
            b"get" => Ok(true),
            b"set" => Ok(false),
            _ => Err("Invalid command passed to redis.acl_check_cmd()".into()),
        }
    }
    fn log(&mut self, _level: i64, _msg: &[u8]) {}
}

fn eval(e: &mut Engine, body: &str, proto: Protocol) -> String {
    let mut out = Out::new(proto);
    let sha = match e.load_script(body.as_bytes()) {
        Ok(s) => s,
        Err(err) => return format!("-{err}\r\n"),
    };
    match e.run_script(&mut Mock, &sha, &[b"k"], &[b"a"], &mut out) {
        RunResult::Done => {}
        RunResult::Error(m) => out.error(&m),
    }
    String::from_utf8_lossy(&out.buf).into_owned()
}

fn e2(body: &str) -> String {
    let mut e = Engine::new("8.2.3", 0x080203);
    eval(&mut e, body, Protocol::Resp2)
}

fn sha(body: &str) -> String {
    String::from_utf8(crate::sha1_hex(body.as_bytes()).to_vec()).unwrap()
}

#[test]
fn conversions_lua_to_resp() {
    assert_eq!(e2("return {1,2,3.9,'a',true,false,nil,4}"), "*6\r\n:1\r\n:2\r\n:3\r\n$1\r\na\r\n:1\r\n$-1\r\n");
    assert_eq!(e2("return 1e20"), ":-9223372036854775808\r\n");
    assert_eq!(e2("return {err='a\\r\\nb'}"), "-a  b\r\n");
    assert_eq!(e2("return {ok='fine'}"), "+fine\r\n");
    assert_eq!(e2("return {double=1.5}"), "$3\r\n1.5\r\n");
    let mut e = Engine::new("8.2.3", 0);
    assert_eq!(eval(&mut e, "redis.setresp(3) return {false, {map={a=1}}}", Protocol::Resp3), "*2\r\n#f\r\n%1\r\n$1\r\na\r\n:1\r\n");
    assert_eq!(eval(&mut e, "return false", Protocol::Resp3), "_\r\n");
}

#[test]
fn conversions_resp_to_lua() {
    assert_eq!(e2("return redis.call('get','x')"), "$1\r\nv\r\n");
    assert_eq!(e2("return redis.call('ping').ok"), "$4\r\nPONG\r\n");
    assert_eq!(e2("return redis.pcall('incr','x').err"), "$43\r\nERR value is not an integer or out of range\r\n");
    assert_eq!(e2("redis.setresp(3) local m = redis.call('hgetall','h') return m.map.f"), "$1\r\nx\r\n");
    assert_eq!(e2("return KEYS[1]..ARGV[1]"), "$2\r\nka\r\n");
}

#[test]
fn errors() {
    let b = "return redis.call('nope')";
    assert_eq!(e2(b), format!("-ERR Unknown Redis command called from script script: {}, on @user_script:1.\r\n", sha(b)));
    let b = "error('x')";
    assert_eq!(e2(b), format!("-ERR user_script:1: x script: {}, on @user_script:1.\r\n", sha(b)));
    let b = "return redis.call('incr','s')";
    assert_eq!(e2(b), format!("-ERR value is not an integer or out of range script: {}, on @user_script:1.\r\n", sha(b)));
    assert_eq!(e2("local ok, e = pcall(redis.call, 'nope') return e"), "$44\r\nERR Unknown Redis command called from script\r\n");
    assert_eq!(e2("return redis.error_reply('x').err"), "$5\r\nERR x\r\n");
    assert_eq!(e2("return redis.error_reply('x y')"), "-x y\r\n");
    let b = "return redis.setresp(4)";
    assert_eq!(e2(b), format!("-ERR RESP version must be 2 or 3. script: {}, on @user_script:1.\r\n", sha(b)));
    assert_eq!(e2("return 1 +"), "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n");
}

#[test]
fn sandbox() {
    let b = "x = 1";
    assert_eq!(e2(b), format!("-ERR user_script:1: Attempt to modify a readonly table script: {}, on @user_script:1.\r\n", sha(b)));
    let b = "return y";
    assert_eq!(
        e2(b),
        format!(
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: {}, on @user_script:1.\r\n",
            sha(b)
        )
    );
    let b = "rawset(_G,'a',1)";
    assert_eq!(e2(b), format!("-ERR Attempt to modify a readonly table script: {}, on @user_script:1.\r\n", sha(b)));
    let b = "string.x = 1";
    assert_eq!(e2(b), format!("-ERR user_script:1: Attempt to modify a readonly table script: {}, on @user_script:1.\r\n", sha(b)));
    assert_eq!(e2("local t = {} for k in pairs(string) do t[#t+1]=k end return #t"), ":15\r\n");
    assert_eq!(e2("return ('x'):upper()"), "$1\r\nX\r\n");
    let b = "return type(io)";
    assert!(e2(b).contains("nonexistent global variable 'io'"));
    let b = "local f = loadstring('x=5') f() return 1";
    assert_eq!(e2(b), format!("-ERR [string \"x=5\"]:1: Attempt to modify a readonly table script: {}, on x=5:1.\r\n", sha(b)));
}

#[test]
fn libraries() {
    assert_eq!(e2("return cjson.encode({1,2,{a=1.5}})"), "$15\r\n[1,2,{\"a\":1.5}]\r\n");
    assert_eq!(e2("return cjson.decode('[1,\"a\",{\"b\":true}]')[3].b"), ":1\r\n");
    assert_eq!(e2("local ok,e=pcall(cjson.decode,'x') return e"), "$53\r\nExpected value but found invalid token at character 1\r\n");
    let b = "return cjson.decode('x')";
    assert_eq!(
        e2(b),
        format!("-ERR user_script:1: Expected value but found invalid token at character 1 script: {}, on @user_script:1.\r\n", sha(b))
    );
    assert_eq!(e2("return bit.tohex(bit.band(0xff, 0x0f), -4)"), "$4\r\n000F\r\n");
    assert_eq!(e2("return bit.tobit(2^32 + 5)"), ":5\r\n");
    assert_eq!(e2("return bit.lshift(1, 31)"), ":-2147483648\r\n");
}

const HEX: &str = "local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end ";

#[test]
fn cmsgpack_encodings() {
    let h = |e: &str| e2(&format!("{HEX} return hex(cmsgpack.pack({e}))"));
    assert_eq!(h("1, -1, 128, -33"), "$12\r\n01ffcc80d0df\r\n");
    assert_eq!(h("1.5"), "$10\r\nca3fc00000\r\n");
    assert_eq!(h("0.1"), "$18\r\ncb3fb999999999999a\r\n");
    assert_eq!(h("2^63"), "$10\r\nca5f000000\r\n");
    assert_eq!(h("{1,2}"), "$6\r\n920102\r\n");
    assert_eq!(h("{[2]=1}"), "$6\r\n810201\r\n");
    assert_eq!(e2("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 0)}"), "*2\r\n:1\r\n:1\r\n");
    assert_eq!(e2("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2), 0)}"), "*2\r\n:1\r\n:2\r\n");
    // Deep input is decoded without recursion and stopped by Lua's stack limit.
    let deep = e2("return cmsgpack.unpack(string.rep('\\145', 50000) .. '\\1')");
    assert!(deep.starts_with("-ERR user_script:1: stack overflow (in function mp_decode_to_lua_array)"), "{deep}");
    let nil_key = e2("return cmsgpack.unpack('\\129\\192\\1')");
    assert!(nil_key.starts_with("-ERR table index is nil script: "), "{nil_key}");
}

#[test]
fn struct_pack_unpack_size() {
    let h = |e: &str| e2(&format!("{HEX} return hex(struct.pack({e}))"));
    assert_eq!(h("'>i', 1"), "$8\r\n00000001\r\n");
    assert_eq!(h("'<i10', -1"), "$20\r\nffffffffffffffff0000\r\n");
    assert_eq!(h("'!4 b i', 1, 2"), "$16\r\n0100000002000000\r\n");
    assert_eq!(e2("return {struct.unpack('>h B', '\\255\\254\\7')}"), "*3\r\n:-2\r\n:7\r\n:4\r\n");
    assert_eq!(e2("return struct.size('!8 b d')"), ":16\r\n");
    let e = e2("return struct.pack('>ii', 1)");
    assert!(e.starts_with("-ERR user_script:1: bad argument #3 to 'pack' (number expected, got nil)"), "{e}");
    let e = e2("return struct.unpack('c0', 'abc')");
    assert!(e.starts_with("-ERR user_script:1: format 'c0' needs a previous size"), "{e}");
}
