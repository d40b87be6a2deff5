//! Geo commands through the real dispatch path. Expected replies were
//! taken from Redis 8.2.

use crate::testing::TestClient;

fn sicily() -> TestClient {
    let mut c = TestClient::new();
    assert_eq!(c.run(&["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]), ":2\r\n");
    c
}

#[test]
fn geoadd_options_and_errors() {
    let mut c = sicily();
    assert_eq!(c.run(&["GEOADD", "Sicily", "CH", "13.361389", "38.115557", "Palermo"]), ":0\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "CH", "13.361389", "38.1156", "Palermo"]), ":1\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "NX", "1", "1", "Palermo", "2", "2", "x"]), ":1\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "XX", "1", "1", "nosuch"]), ":0\r\n");
    assert_eq!(c.run(&["GEOADD", "nokey", "XX", "1", "1", "a"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "nokey"]), ":0\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "NX", "XX", "1", "1", "a"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "1", "1", "a", "2"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "ch", "nx", "ch"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "200", "10", "a"]), "-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", "180", "85.05112879", "a"]), "-ERR invalid longitude,latitude pair 180.000000,85.051129\r\n");
    assert_eq!(c.run(&["GEOADD", "Sicily", " 10", "5", "a"]), "-ERR value is not a valid float\r\n");
    c.run(&["SET", "str", "x"]);
    // Coordinates are checked before the type.
    assert_eq!(c.run(&["GEOADD", "str", "200", "1", "a"]), "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n");
    assert!(c.run(&["GEOADD", "str", "1", "1", "a"]).starts_with("-WRONGTYPE"));
    assert_eq!(c.run(&["ZSCORE", "Sicily", "Catania"]), "$16\r\n3479447370796909\r\n");
}

#[test]
fn positions_hashes_and_distances() {
    let mut c = sicily();
    assert_eq!(
        c.run(&["GEOPOS", "Sicily", "Palermo", "nosuch"]),
        "*2\r\n*2\r\n$18\r\n13.361389338970184\r\n$16\r\n38.1155563954963\r\n*-1\r\n"
    );
    assert_eq!(c.run(&["GEOHASH", "Sicily", "Palermo", "Catania", "x"]), "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n");
    assert_eq!(c.run(&["GEODIST", "Sicily", "Palermo", "Catania"]), "$11\r\n166274.1516\r\n");
    assert_eq!(c.run(&["GEODIST", "Sicily", "Palermo", "Catania", "KM"]), "$8\r\n166.2742\r\n");
    assert_eq!(
        c.run(&["GEODIST", "Sicily", "Palermo", "Catania", "yards"]),
        "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"
    );
    assert_eq!(c.run(&["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"]), "-ERR syntax error\r\n");
    assert_eq!(c.run(&["GEODIST", "Sicily", "Palermo", "x"]), "$-1\r\n");
    assert_eq!(c.run(&["GEODIST", "nokey", "a", "b"]), "$-1\r\n");
    c.run(&["HELLO", "3"]);
    assert_eq!(c.run(&["GEOPOS", "Sicily", "Palermo", "x"]), "*2\r\n*2\r\n,13.361389338970184\r\n,38.1155563954963\r\n_\r\n");
    assert_eq!(c.run(&["GEODIST", "Sicily", "Palermo", "x"]), "_\r\n");
}

#[test]
fn odd_scores_decode_as_redis_does() {
    let mut c = TestClient::new();
    c.run(&["ZADD", "odd", "-1", "a", "0", "c"]);
    assert_eq!(
        c.run(&["GEOPOS", "odd", "a", "c"]),
        "*2\r\n*2\r\n$3\r\n180\r\n$11\r\n85.05112878\r\n*2\r\n$19\r\n-179.99999731779099\r\n$18\r\n-85.05112751263943\r\n"
    );
    assert_eq!(c.run(&["GEODIST", "odd", "a", "c"]), "$13\r\n18919844.5891\r\n");
}

#[test]
fn search_replies() {
    let mut c = sicily();
    let all = "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$18\r\n15.087267458438873\r\n$17\r\n37.50266842333162\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$18\r\n13.361389338970184\r\n$16\r\n38.1155563954963\r\n";
    assert_eq!(
        c.run(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"]),
        all
    );
    assert_eq!(c.run(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"]), all);
    assert_eq!(
        c.run(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "DESC"]),
        "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n"
    );
    assert_eq!(c.run(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km", "ASC"]), "*1\r\n$7\r\nCatania\r\n");
    assert_eq!(c.run(&["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1"]), "*1\r\n$7\r\nCatania\r\n");
    assert_eq!(
        c.run(&["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "ASC"]),
        "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n"
    );
    assert_eq!(c.run(&["GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km"]), "*1\r\n$7\r\nPalermo\r\n");
    assert_eq!(c.run(&["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"]), "*0\r\n");
}

#[test]
fn search_errors_in_redis_order() {
    let mut c = sicily();
    let s = |extra: &[&'static str]| {
        let mut v = vec!["GEOSEARCH", "Sicily"];
        v.extend_from_slice(extra);
        v
    };
    assert_eq!(c.run(&s(&["FROMMEMBER", "nosuch", "BYRADIUS", "1", "km"])), "-ERR could not decode requested zset member\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "ANY"])), "-ERR the ANY argument requires COUNT argument\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "0"])), "-ERR COUNT must be > 0\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"])), "-ERR radius cannot be negative\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"])), "-ERR need numeric radius\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"])), "-ERR need numeric width\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"])), "-ERR height or width cannot be negative\r\n");
    assert_eq!(c.run(&s(&["FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"])), "-ERR syntax error\r\n");
    assert_eq!(
        c.run(&["geosearch", "Sicily", "BYRADIUS", "1", "km", "ASC", "WITHDIST"]),
        "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch\r\n"
    );
    assert_eq!(
        c.run(&s(&["FROMLONLAT", "15", "37", "ASC", "ANY"])),
        "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n"
    );
    assert_eq!(
        c.run(&["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "WITHDIST"]),
        "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"
    );
    assert_eq!(c.run(&["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "x"]), "-ERR syntax error\r\n");
    c.run(&["SET", "str", "x"]);
    // The source's type is checked before anything else.
    assert!(c.run(&["GEOSEARCH", "str", "bogus", "a", "b", "c", "d"]).starts_with("-WRONGTYPE"));
}

#[test]
fn stores_and_deletes() {
    let mut c = sicily();
    assert_eq!(c.run(&["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST", "ASC"]), ":2\r\n");
    assert_eq!(
        c.run(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        "*4\r\n$7\r\nCatania\r\n$16\r\n56.4412578701582\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n"
    );
    assert_eq!(c.run(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a", "STORE", "b"]), ":2\r\n");
    assert_eq!(c.run(&["EXISTS", "a", "b"]), ":1\r\n");
    assert_eq!(c.run(&["ZSCORE", "b", "Palermo"]), "$16\r\n3479099956230698\r\n");
    assert_eq!(c.run(&["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
    c.run(&["SET", "d", "x"]);
    assert_eq!(c.run(&["GEORADIUSBYMEMBER", "nokey", "m", "x", "yards", "STORE", "d"]), ":0\r\n");
    assert_eq!(c.run(&["EXISTS", "d"]), ":0\r\n");
}
