//! Inline command splitting with the rules of Redis' `sdssplitargs`:
//! whitespace separates arguments, "double quotes" take C escapes
//! (\n \r \t \b \a \\ \" \xHH), 'single quotes' take only \', and a closing
//! quote must be followed by whitespace or the end of the line.

/// Splits `line` into arguments, appending their bytes to `out` and their
/// (start, end) ranges to `offs`. Returns false on unbalanced quotes.
pub(crate) fn split_inline(line: &[u8], out: &mut Vec<u8>, offs: &mut Vec<(usize, usize)>) -> bool {
    // Redis splits a C string: a NUL byte ends the line.
    let line = match line.iter().position(|&c| c == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return true;
        }
        let start = out.len();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return false;
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' && is_hex(line[i + 2]) && is_hex(line[i + 3]) {
                    out.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    out.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return false;
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                }
            } else if in_sq {
                if i >= n {
                    return false;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    out.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return false;
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => out.push(c),
                }
            }
            i += 1;
        }
        offs.push((start, out.len()));
    }
}

/// Split a line into arguments with Redis' quoting rules (config files,
/// inline commands). None on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut offs = Vec::new();
    split_inline(line, &mut out, &mut offs).then(|| offs.iter().map(|&(a, b)| out[a..b].to_vec()).collect())
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c)
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut out = vec![];
        let mut offs = vec![];
        split_inline(s, &mut out, &mut offs).then(|| offs.iter().map(|&(a, b)| out[a..b].to_vec()).collect())
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(split(b"  set k  v ").unwrap(), vec![b"set".to_vec(), b"k".to_vec(), b"v".to_vec()]);
        assert_eq!(split(br#"set "a\x41\n" 'it\'s'"#).unwrap()[1..], [b"aA\n".to_vec(), b"it's".to_vec()]);
        assert_eq!(split(br#""""#).unwrap(), vec![Vec::<u8>::new()]);
        assert!(split(br#""abc"d"#).is_none());
        assert!(split(b"'abc").is_none());
        assert_eq!(split(b"").unwrap().len(), 0);
        assert_eq!(split(b"a\0b c").unwrap(), vec![b"a".to_vec()]);
        assert_eq!(split(b"a\x0bb").unwrap(), vec![b"a\x0bb".to_vec()]);
    }
}
