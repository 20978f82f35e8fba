//! The arguments of `qXfer:libraries-svr4:read:ANNEX:OFFSET,LENGTH`. With
//! `augmented-libraries-svr4-read+` offered, gdb (on a dynamic linker with
//! SystemTap probes, after a `dlopen`) asks only for the libraries from the
//! new `link_map` on: `lmid=R_DEBUG;start=LM;prev=PREV` (gdb 13 and later;
//! older gdb sends `start` and `prev` alone). Parsed as GNU gdbserver does:
//! `name=value` pairs separated by `;`, unknown names ignored, hex values;
//! `start=0` or no `start` means the whole list. Pure.

use super::parse_offset_length;

/// What part of the library list gdb asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Svr4Annex {
    /// The `link_map` to start from; 0 for the whole list.
    pub start: u64,
    /// What `start`'s `l_prev` must be.
    pub prev: u64,
    /// The namespace (its `r_debug` address) the libraries are tagged
    /// with, when gdb names it.
    pub lmid: Option<u64>,
}

/// The annex and the window of the packet's arguments (what follows
/// `read:`); None if either is malformed.
pub fn parse_read(args: &[u8]) -> Option<(Svr4Annex, u64, usize)> {
    let colon = args.iter().rposition(|&b| b == b':')?;
    let (offset, length) = parse_offset_length(&args[colon + 1..])?;
    Some((parse_annex(&args[..colon])?, offset, length))
}

/// `name=value;...`; None if a value we use is no hex number.
pub fn parse_annex(annex: &[u8]) -> Option<Svr4Annex> {
    let text = std::str::from_utf8(annex).ok()?;
    let mut out = Svr4Annex::default();
    for pair in text.split(';').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=')?;
        let number = || u64::from_str_radix(value, 16).ok();
        match name {
            "start" => out.start = number()?,
            "prev" => out.prev = number()?,
            "lmid" => out.lmid = Some(number()?),
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_annex_is_the_whole_list() {
        assert_eq!(
            parse_read(b":0,fff"),
            Some((Svr4Annex::default(), 0, 0xfff))
        );
    }

    #[test]
    fn start_prev_and_lmid_in_any_order() {
        let want = Svr4Annex {
            start: 0x55a3_f1fa_8190,
            prev: 0x55a3_f1fa_72c0,
            lmid: Some(0x7ff8_6d33_8118),
        };
        assert_eq!(
            parse_read(b"lmid=7ff86d338118;start=55a3f1fa8190;prev=55a3f1fa72c0:40,fff"),
            Some((want, 0x40, 0xfff))
        );
        assert_eq!(
            parse_annex(b"start=55a3f1fa8190;prev=55a3f1fa72c0;lmid=7ff86d338118"),
            Some(want)
        );
        assert_eq!(
            parse_annex(b"start=10;prev=8"),
            Some(Svr4Annex {
                start: 0x10,
                prev: 8,
                lmid: None
            })
        );
    }

    #[test]
    fn unknown_names_are_ignored_bad_values_refused() {
        assert_eq!(
            parse_annex(b"future=zz;start=10;"),
            Some(Svr4Annex {
                start: 0x10,
                ..Svr4Annex::default()
            })
        );
        assert_eq!(parse_annex(b"start=zz"), None);
        assert_eq!(parse_annex(b"start"), None);
        assert_eq!(parse_annex(b"prev="), None);
        assert_eq!(parse_read(b"start=10"), None);
        assert_eq!(parse_read(b"start=10:0"), None);
    }
}
