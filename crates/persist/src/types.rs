//! RDB type bytes and opcodes, with the numbers Redis' rdb.h gives them.

pub const STRING: u8 = 0;
pub const LIST: u8 = 1;
pub const SET: u8 = 2;
pub const ZSET: u8 = 3;
pub const HASH: u8 = 4;
pub const ZSET_2: u8 = 5;
pub const MODULE_PRE_GA: u8 = 6;
pub const MODULE_2: u8 = 7;
pub const HASH_ZIPMAP: u8 = 9;
pub const LIST_ZIPLIST: u8 = 10;
pub const SET_INTSET: u8 = 11;
pub const ZSET_ZIPLIST: u8 = 12;
pub const HASH_ZIPLIST: u8 = 13;
pub const LIST_QUICKLIST: u8 = 14;
pub const STREAM_LISTPACKS: u8 = 15;
pub const HASH_LISTPACK: u8 = 16;
pub const ZSET_LISTPACK: u8 = 17;
pub const LIST_QUICKLIST_2: u8 = 18;
pub const STREAM_LISTPACKS_2: u8 = 19;
pub const SET_LISTPACK: u8 = 20;
pub const STREAM_LISTPACKS_3: u8 = 21;
/// Hash with field TTLs, 7.4 release candidates (no minimum TTL up front,
/// absolute TTLs per field).
pub const HASH_METADATA_PRE_GA: u8 = 22;
pub const HASH_LISTPACK_EX_PRE_GA: u8 = 23;
/// Hash with field TTLs: [min TTL ms u64][len] then per field
/// [ttl - min + 1, or 0 for none][field][value].
pub const HASH_METADATA: u8 = 24;
/// [min TTL ms u64, 0 if none][listpack of field, value, ttl-or-0 triples].
pub const HASH_LISTPACK_EX: u8 = 25;

pub const OP_SLOT_INFO: u8 = 244;
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION_PRE_GA: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

/// Quicklist node containers in LIST_QUICKLIST_2.
pub const QL_PLAIN: u64 = 1;
pub const QL_PACKED: u64 = 2;

/// Whether `t` is a value type byte (Redis' rdbIsObjectType).
pub fn is_object_type(t: u8) -> bool {
    t <= 7 || (9..=25).contains(&t)
}
