//! Redis Cluster hash slots: CRC16 (XMODEM) of the key, or of its
//! `{hash tag}` when the key has a non-empty one, modulo 16384.

pub const SLOTS: usize = 16384;

/// CRC16-XMODEM tables for slicing-by-8: `T[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes, so eight input bytes fold in with eight
/// independent lookups instead of a serial byte-at-a-time chain (the
/// stripe of every key is computed from this on every command).
const fn crc16_tables() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            b += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

static CRC16: [[u16; 256]; 8] = crc16_tables();

pub fn crc16(data: &[u8]) -> u16 {
    let t = &CRC16;
    let mut crc = 0u16;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let b0 = c[0] ^ (crc >> 8) as u8;
        let b1 = c[1] ^ crc as u8;
        crc = t[7][b0 as usize]
            ^ t[6][b1 as usize]
            ^ t[5][c[2] as usize]
            ^ t[4][c[3] as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    chunks.remainder().iter().fold(crc, |crc, &b| (crc << 8) ^ t[0][((crc >> 8) as u8 ^ b) as usize])
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
    fn sliced_crc_equals_bytewise() {
        let bytewise = |d: &[u8]| d.iter().fold(0u16, |crc, &b| (crc << 8) ^ CRC16[0][((crc >> 8) as u8 ^ b) as usize]);
        let data: Vec<u8> = (0..300u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(crc16(&data[..n]), bytewise(&data[..n]), "len {n}");
        }
    }

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
