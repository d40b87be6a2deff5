//! Redis Cluster hash slots: CRC16 (XMODEM) of the key, or of its
//! `{hash tag}` when the key has a non-empty one, modulo 16384.

pub const SLOTS: usize = 16384;

const fn crc16_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            b += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
}

static CRC16: [u16; 256] = crc16_table();

pub fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| (crc << 8) ^ CRC16[((crc >> 8) as u8 ^ b) as usize])
}

/// The cluster slot of `key`.
pub fn hash_slot(key: &[u8]) -> usize {
    let tagged = key
        .iter()
        .position(|&c| c == b'{')
        .and_then(|s| key[s + 1..].iter().position(|&c| c == b'}').map(|len| &key[s + 1..s + 1 + len]))
        .filter(|tag| !tag.is_empty());
    crc16(tagged.unwrap_or(key)) as usize & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_slots() {
        // Values from CLUSTER KEYSLOT on a real Redis.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"{user1000}.following"), hash_slot(b"user1000"));
        assert_eq!(hash_slot(b"foo{}{bar}"), hash_slot(b"foo{}{bar}"));
        assert_eq!(hash_slot(b"foo{{bar}}zap"), hash_slot(b"{bar"));
        assert_eq!(hash_slot(b"foo{bar}{zap}"), hash_slot(b"bar"));
    }
}
