//! Translation between Linux signal numbers and gdb's own signal numbering
//! (`enum gdb_signal`, used in stop replies and resume packets). The two agree
//! only for signals 1-6, 8, 9, 11, 13-15; MIPS Linux numbers differ again from
//! x86_64/arm64, so each ABI has its own table.

/// gdb's numbers for the signals we name.
pub mod gdb {
    pub const SIGNAL_0: u8 = 0;
    pub const HUP: u8 = 1;
    pub const INT: u8 = 2;
    pub const QUIT: u8 = 3;
    pub const ILL: u8 = 4;
    pub const TRAP: u8 = 5;
    pub const ABRT: u8 = 6;
    pub const EMT: u8 = 7;
    pub const FPE: u8 = 8;
    pub const KILL: u8 = 9;
    pub const BUS: u8 = 10;
    pub const SEGV: u8 = 11;
    pub const SYS: u8 = 12;
    pub const PIPE: u8 = 13;
    pub const ALRM: u8 = 14;
    pub const TERM: u8 = 15;
    pub const URG: u8 = 16;
    pub const STOP: u8 = 17;
    pub const TSTP: u8 = 18;
    pub const CONT: u8 = 19;
    pub const CHLD: u8 = 20;
    pub const TTIN: u8 = 21;
    pub const TTOU: u8 = 22;
    pub const IO: u8 = 23;
    pub const XCPU: u8 = 24;
    pub const XFSZ: u8 = 25;
    pub const VTALRM: u8 = 26;
    pub const PROF: u8 = 27;
    pub const WINCH: u8 = 28;
    pub const USR1: u8 = 30;
    pub const USR2: u8 = 31;
    pub const PWR: u8 = 32;
    pub const POLL: u8 = 33;
    /// gdb's REALTIME_33 .. REALTIME_63 are 45 ..= 75.
    pub const REALTIME_33: u8 = 45;
    /// REALTIME_32 was added later and got number 77.
    pub const REALTIME_32: u8 = 77;
    /// REALTIME_64 .. REALTIME_127 are 78 ..= 141.
    pub const REALTIME_64: u8 = 78;
    pub const UNKNOWN: u8 = 143;
}

/// A Linux signal ABI: the host numbers of the classic signals.
#[derive(Debug, Clone, Copy)]
pub struct SignalAbi {
    /// (host number, gdb number) for every non-realtime signal.
    classic: &'static [(i32, u8)],
    /// First realtime signal (SIGRTMIN as the kernel numbers it).
    rt_first: i32,
    /// Last realtime signal.
    rt_last: i32,
}

/// x86_64, arm64 and the other "generic" Linux ABIs.
pub const GENERIC: SignalAbi = SignalAbi {
    classic: &[
        (1, gdb::HUP),
        (2, gdb::INT),
        (3, gdb::QUIT),
        (4, gdb::ILL),
        (5, gdb::TRAP),
        (6, gdb::ABRT),
        (7, gdb::BUS),
        (8, gdb::FPE),
        (9, gdb::KILL),
        (10, gdb::USR1),
        (11, gdb::SEGV),
        (12, gdb::USR2),
        (13, gdb::PIPE),
        (14, gdb::ALRM),
        (15, gdb::TERM),
        (17, gdb::CHLD),
        (18, gdb::CONT),
        (19, gdb::STOP),
        (20, gdb::TSTP),
        (21, gdb::TTIN),
        (22, gdb::TTOU),
        (23, gdb::URG),
        (24, gdb::XCPU),
        (25, gdb::XFSZ),
        (26, gdb::VTALRM),
        (27, gdb::PROF),
        (28, gdb::WINCH),
        (29, gdb::IO),
        (30, gdb::PWR),
        (31, gdb::SYS),
    ],
    rt_first: 32,
    rt_last: 64,
};

/// MIPS Linux (o32, n32 and n64 share the numbering).
pub const MIPS: SignalAbi = SignalAbi {
    classic: &[
        (1, gdb::HUP),
        (2, gdb::INT),
        (3, gdb::QUIT),
        (4, gdb::ILL),
        (5, gdb::TRAP),
        (6, gdb::ABRT),
        (7, gdb::EMT),
        (8, gdb::FPE),
        (9, gdb::KILL),
        (10, gdb::BUS),
        (11, gdb::SEGV),
        (12, gdb::SYS),
        (13, gdb::PIPE),
        (14, gdb::ALRM),
        (15, gdb::TERM),
        (16, gdb::USR1),
        (17, gdb::USR2),
        (18, gdb::CHLD),
        (19, gdb::PWR),
        (20, gdb::WINCH),
        (21, gdb::URG),
        (22, gdb::IO),
        (23, gdb::STOP),
        (24, gdb::TSTP),
        (25, gdb::CONT),
        (26, gdb::TTIN),
        (27, gdb::TTOU),
        (28, gdb::VTALRM),
        (29, gdb::PROF),
        (30, gdb::XCPU),
        (31, gdb::XFSZ),
    ],
    rt_first: 32,
    rt_last: 128,
};

impl SignalAbi {
    /// Host signal number to gdb's number; unknown signals map to gdb's UNKNOWN.
    pub fn to_gdb(&self, host: i32) -> u8 {
        if host == 0 {
            return gdb::SIGNAL_0;
        }
        if let Some(&(_, g)) = self.classic.iter().find(|(h, _)| *h == host) {
            return g;
        }
        if (self.rt_first..=self.rt_last).contains(&host) {
            return match host {
                32 => gdb::REALTIME_32,
                33..=63 => gdb::REALTIME_33 + (host - 33) as u8,
                64..=127 => gdb::REALTIME_64 + (host - 64) as u8,
                _ => gdb::UNKNOWN,
            };
        }
        gdb::UNKNOWN
    }

    /// gdb's signal number to the host's, if the host has that signal.
    pub fn from_gdb(&self, sig: u8) -> Option<i32> {
        if sig == gdb::SIGNAL_0 {
            return Some(0);
        }
        if let Some(&(h, _)) = self.classic.iter().find(|(_, g)| *g == sig) {
            return Some(h);
        }
        let host = match sig {
            gdb::REALTIME_32 => 32,
            45..=75 => 33 + (sig - gdb::REALTIME_33) as i32,
            78..=141 => 64 + (sig - gdb::REALTIME_64) as i32,
            _ => return None,
        };
        (self.rt_first..=self.rt_last)
            .contains(&host)
            .then_some(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_classic_signals() {
        assert_eq!(GENERIC.to_gdb(10), gdb::USR1);
        assert_eq!(GENERIC.to_gdb(19), gdb::STOP);
        assert_eq!(GENERIC.to_gdb(11), gdb::SEGV);
        assert_eq!(GENERIC.to_gdb(16), gdb::UNKNOWN); // SIGSTKFLT has no gdb name
        assert_eq!(GENERIC.from_gdb(gdb::USR1), Some(10));
        assert_eq!(GENERIC.from_gdb(gdb::EMT), None);
    }

    #[test]
    fn realtime_signals_use_gdbs_odd_numbering() {
        assert_eq!(GENERIC.to_gdb(32), 77);
        assert_eq!(GENERIC.to_gdb(33), 45);
        assert_eq!(GENERIC.to_gdb(63), 75);
        assert_eq!(GENERIC.to_gdb(64), 78);
        for host in 1..=64 {
            let g = GENERIC.to_gdb(host);
            if g != gdb::UNKNOWN {
                assert_eq!(GENERIC.from_gdb(g), Some(host), "host {host}");
            }
        }
    }

    #[test]
    fn mips_numbers_differ() {
        assert_eq!(MIPS.to_gdb(16), gdb::USR1);
        assert_eq!(MIPS.to_gdb(23), gdb::STOP);
        assert_eq!(MIPS.from_gdb(gdb::USR2), Some(17));
        assert_eq!(MIPS.to_gdb(100), gdb::REALTIME_64 + 36);
        for host in 1..=127 {
            let g = MIPS.to_gdb(host);
            if g != gdb::UNKNOWN {
                assert_eq!(MIPS.from_gdb(g), Some(host), "host {host}");
            }
        }
    }
}
