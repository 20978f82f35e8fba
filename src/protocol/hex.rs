//! Hex encoding and the hex numbers packets carry.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

pub fn encode_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() * 2);
    for &b in data {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 0xf) as usize]);
    }
}

/// Hex-encoded bytes; None if the text is not whole hex pairs.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// A hex number of at most 16 digits.
pub fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(text).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_parses() {
        let mut out = Vec::new();
        encode_into(&[0x00, 0xab, 0x7f], &mut out);
        assert_eq!(out, b"00ab7f");
        assert_eq!(parse_u64(b"ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_u64(b"10000000000000000"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"xyz"), None);
        assert_eq!(decode(b"00aB7f"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(decode(b""), Some(vec![]));
        assert_eq!(decode(b"abc"), None);
        assert_eq!(decode(b"0"), None);
        assert_eq!(decode(b"zz"), None);
    }
}
