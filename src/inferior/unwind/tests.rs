//! The unwinder on recorded stacks: a fake memory holding a real ELF
//! compiled here (its segments at a PIE-like bias) and a stack built by
//! hand the way the compiled code lays it out: frame records and the
//! return addresses just after each real `call`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ::object::{Object, ObjectSegment, ObjectSymbol};

use super::*;

/// Memory made of byte regions.
#[derive(Default)]
pub(crate) struct FakeMemory {
    regions: BTreeMap<u64, Vec<u8>>,
}

impl FakeMemory {
    pub(crate) fn put(&mut self, addr: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            let at = addr + i as u64;
            // One region per 4 KiB, so writes may overlap freely.
            let page = at & !0xfff;
            let region = self.regions.entry(page).or_insert_with(|| vec![0; 0x1000]);
            region[(at - page) as usize] = *b;
        }
    }

    pub(crate) fn put_u64(&mut self, addr: u64, value: u64) {
        self.put(addr, &value.to_le_bytes());
    }
}

impl Memory for FakeMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Option<usize> {
        for (i, slot) in buf.iter_mut().enumerate() {
            let at = addr.checked_add(i as u64)?;
            let page = at & !0xfff;
            match self.regions.get(&page) {
                Some(region) => *slot = region[(at - page) as usize],
                None if i == 0 => return None,
                None => return Some(i),
            }
        }
        Some(buf.len())
    }
}

const PROGRAM: &str = r#"
__attribute__((noinline)) int c(int x) {
    __asm__ volatile("" ::: "memory");
    return x * 3;
}
__attribute__((noinline)) int b(int x) { return c(x + 1) + 1; }
__attribute__((noinline)) int a(int x) { return b(x + 2) + 2; }
int main(int argc, char **argv) { (void)argv; return a(argc); }
"#;

const BIAS: u64 = 0x5555_5555_4000;
const STACK_TOP: u64 = 0x7ffe_0000;

struct Built {
    _dir: tempfile::TempDir,
    path: PathBuf,
    data: Vec<u8>,
}

fn build(flags: &[&str]) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("prog.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let path = dir.path().join("prog");
    let status = Command::new("gcc")
        .args(flags)
        .args(["-fno-inline", "-pie", "-fPIE", "-o"])
        .arg(&path)
        .arg(&src)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc {flags:?}");
    let data = std::fs::read(&path).unwrap();
    Built {
        _dir: dir,
        path,
        data,
    }
}

fn symbol(data: &[u8], name: &str) -> (u64, u64) {
    let file = ::object::File::parse(data).unwrap();
    let sym = file
        .symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("{name} in symtab"));
    (sym.address(), sym.size())
}

/// The target address just after the `call` in `caller` whose target is `callee`.
fn return_address(data: &[u8], caller: &str, callee: &str) -> u64 {
    let file = ::object::File::parse(data).unwrap();
    let (start, size) = symbol(data, caller);
    let (target, _) = symbol(data, callee);
    let text = file
        .segments()
        .find(|s| s.address() <= start && start < s.address() + s.size())
        .unwrap();
    let (seg_off, _) = text.file_range();
    let code = &data[(seg_off + start - text.address()) as usize..][..size as usize];
    (0..code.len().saturating_sub(5))
        .find_map(|i| {
            let rel = i32::from_le_bytes(code[i + 1..i + 5].try_into().unwrap());
            let next = start + i as u64 + 5;
            (code[i] == 0xe8 && next.wrapping_add_signed(rel.into()) == target).then_some(next)
        })
        .map(|ra| ra + BIAS)
        .unwrap_or_else(|| panic!("a call to {callee} in {caller}"))
}

/// The program's segments in memory at BIAS, and its maps.
fn load(built: &Built, mem: &mut FakeMemory) -> Vec<Mapping> {
    let file = ::object::File::parse(&*built.data).unwrap();
    let mut maps = Vec::new();
    for seg in file.segments() {
        let (offset, filesz) = seg.file_range();
        mem.put(
            BIAS + seg.address(),
            &built.data[offset as usize..(offset + filesz) as usize],
        );
        maps.push(Mapping {
            start: BIAS + (seg.address() & !0xfff),
            end: BIAS + ((seg.address() + seg.size() + 0xfff) & !0xfff),
            offset: offset & !0xfff,
            path: built.path.clone(),
        });
    }
    maps
}

/// A stack stopped in `c`, 8 bytes in (past `push %rbp; mov %rsp,%rbp`,
/// and `endbr64` if any), with rbp frame records for c, b, a and main,
/// main's return address 0.
fn stopped_in_c(built: &Built, mem: &mut FakeMemory) -> Registers {
    let d = &built.data;
    let frames = [
        (STACK_TOP - 0xc0, return_address(d, "b", "c")),
        (STACK_TOP - 0x80, return_address(d, "a", "b")),
        (STACK_TOP - 0x40, return_address(d, "main", "a")),
        (STACK_TOP - 0x10, 0),
    ];
    for (i, (rbp, ra)) in frames.iter().enumerate() {
        let caller_rbp = frames.get(i + 1).map_or(0, |f| f.0);
        mem.put_u64(*rbp, caller_rbp);
        mem.put_u64(rbp + 8, *ra);
    }
    let (c, _) = symbol(d, "c");
    let mut regs = Registers::new(Arch::X86_64, BIAS + c + 8, frames[0].0);
    regs.set(6, frames[0].0);
    regs
}

fn names(bt: &Backtrace) -> Vec<&str> {
    bt.frames
        .iter()
        .map(|f| f.symbol.function.as_ref().map_or("??", |(n, _)| n.as_str()))
        .collect()
}

fn methods(bt: &Backtrace) -> Vec<&str> {
    bt.frames.iter().map(|f| f.found_by.as_str()).collect()
}

#[cfg(target_arch = "x86_64")]
fn unwind_built(flags: &[&str]) -> (Backtrace, Built) {
    let built = build(flags);
    let mut mem = FakeMemory::default();
    let maps = load(&built, &mut mem);
    let regs = stopped_in_c(&built, &mut mem);
    let mut unwinder = Unwinder::new();
    let bt = unwinder
        .address_space(&maps)
        .unwind(&mem, regs, DEFAULT_MAX_DEPTH);
    (bt, built)
}

#[cfg(target_arch = "x86_64")]
#[test]
fn eh_frame_cfi_with_lines() {
    let (bt, built) = unwind_built(&["-g", "-O0", "-fno-omit-frame-pointer"]);
    assert_eq!(names(&bt), ["c", "b", "a", "main"], "{bt:#?}");
    assert_eq!(methods(&bt), ["pc", "cfi", "cfi", "cfi"]);
    assert_eq!(bt.stop, StopReason::ZeroPc);
    let c = &bt.frames[0].symbol;
    assert_eq!(c.object.as_deref(), Some(built.path.as_path()));
    assert_eq!(c.function.as_ref().map(|f| f.1), Some(8));
    let line = c.line.as_ref().expect("DWARF line of c");
    assert!(line.file.ends_with("prog.c"), "{line:?}");
    assert!((2..=5).contains(&line.line), "{line:?}");
    // b's line is the call of c (line 6), found at the return address - 1.
    assert_eq!(bt.frames[1].symbol.line.as_ref().map(|l| l.line), Some(6));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn debug_frame_cfi_without_eh_frame() {
    let (bt, _built) = unwind_built(&[
        "-g",
        "-O0",
        "-fno-asynchronous-unwind-tables",
        "-fno-unwind-tables",
    ]);
    assert_eq!(names(&bt), ["c", "b", "a", "main"], "{bt:#?}");
    assert_eq!(methods(&bt), ["pc", "cfi", "cfi", "cfi"]);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn frame_pointers_without_cfi() {
    let (bt, _built) = unwind_built(&[
        "-O0",
        "-fno-asynchronous-unwind-tables",
        "-fno-unwind-tables",
    ]);
    assert_eq!(names(&bt), ["c", "b", "a", "main"], "{bt:#?}");
    assert_eq!(
        methods(&bt),
        ["pc", "frame-pointer", "frame-pointer", "frame-pointer"]
    );
    assert_eq!(bt.stop, StopReason::ZeroPc);
    assert!(bt.frames.iter().all(|f| f.symbol.line.is_none()));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn stops_on_loops_limits_and_unreadable_stacks() {
    let built = build(&[
        "-O0",
        "-fno-asynchronous-unwind-tables",
        "-fno-unwind-tables",
    ]);
    let mut mem = FakeMemory::default();
    let maps = load(&built, &mut mem);
    let regs = stopped_in_c(&built, &mut mem);
    let mut unwinder = Unwinder::new();
    let space = unwinder.address_space(&maps);

    let bt = space.unwind(&mem, regs.clone(), 2);
    assert_eq!((bt.frames.len(), &bt.stop), (2, &StopReason::DepthLimit));

    // a's frame record points at itself: a loop, not 256 frames.
    let a_rbp = STACK_TOP - 0x80;
    let mut looping = FakeMemory::default();
    load(&built, &mut looping);
    stopped_in_c(&built, &mut looping);
    looping.put_u64(a_rbp, a_rbp);
    looping.put_u64(a_rbp + 8, return_address(&built.data, "a", "b"));
    let bt = space.unwind(&looping, regs.clone(), DEFAULT_MAX_DEPTH);
    assert_eq!(bt.stop, StopReason::Loop, "{bt:#?}");
    assert!(bt.frames.len() <= 4);

    // A frame pointer into nowhere.
    let mut lost = regs.clone();
    lost.set(6, 0x1000);
    let bt = space.unwind(&mem, lost, DEFAULT_MAX_DEPTH);
    assert_eq!(bt.stop, StopReason::Unreadable(0x1000));
    assert_eq!(names(&bt), ["c"]);
}

#[test]
fn objects_are_parsed_once() {
    let built = build(&["-O0"]);
    let mut mem = FakeMemory::default();
    let maps = load(&built, &mut mem);
    let mut unwinder = Unwinder::new();
    for _ in 0..3 {
        let space = unwinder.address_space(&maps);
        let (c, _) = symbol(&built.data, "c");
        let found = space.symbolize(BIAS + c + 1);
        assert_eq!(found.function, Some(("c".to_string(), 1)));
    }
    assert_eq!(unwinder.cache().len(), 1);
    // An address outside every mapping is unknown, not a panic.
    assert_eq!(
        unwinder.address_space(&maps).symbolize(0x10),
        Symbolized::default()
    );
    // A path that is no ELF file.
    let bogus = [Mapping {
        start: 0x1000,
        end: 0x2000,
        offset: 0,
        path: Path::new("/proc/self/status").to_path_buf(),
    }];
    assert_eq!(
        unwinder.address_space(&bogus).symbolize(0x1800),
        Symbolized::default()
    );
}

#[test]
fn bias_from_the_first_mapping() {
    let built = build(&["-O0"]);
    let object = ElfObject::parse(&built.path, &built.data).unwrap();
    let mut mem = FakeMemory::default();
    let maps = load(&built, &mut mem);
    assert_eq!(maps[0].offset, 0);
    assert_eq!(object.bias(maps[0].start, 0), Some(BIAS));
    let mut unwinder = Unwinder::new();
    let space = unwinder.address_space(&maps);
    for m in &maps {
        assert_eq!(space.load_bias(m.start), Some(BIAS), "{m:?}");
    }
}

#[test]
fn inlined_functions_are_frames_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("inl.c");
    std::fs::write(
        &src,
        "static inline __attribute__((always_inline)) int sq(int x) { return x * x + 1; }\n\
         __attribute__((noinline)) int f(volatile int *p) { return sq(*p) + sq(p[1]); }\n\
         int main(void) { volatile int v[2] = {3, 4}; return f(v); }\n",
    )
    .unwrap();
    let path = dir.path().join("inl");
    let status = Command::new("gcc")
        .args(["-g", "-O2", "-o"])
        .arg(&path)
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success());
    let data = std::fs::read(&path).unwrap();
    let object = ElfObject::parse(&path, &data).unwrap();
    let (f, size) = symbol(&data, "f");
    let chains: Vec<Vec<String>> = (f..f + size)
        .map(|addr| {
            object
                .inline_chain(addr)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        })
        .collect();
    assert!(chains.iter().any(|c| c == &["sq", "f"]), "{chains:?}");
    // Outside sq's code the chain is f alone.
    assert!(chains.iter().any(|c| c == &["f"]), "{chains:?}");
}

#[test]
fn compressed_debug_sections_are_read() {
    let built = build(&["-g", "-O0", "-gz=zlib"]);
    let object = ElfObject::parse(&built.path, &built.data).unwrap();
    let (c, _) = symbol(&built.data, "c");
    let line = object
        .line_for(c + 4)
        .expect("a line from compressed DWARF");
    assert!(
        line.file.ends_with("prog.c") && (2..=5).contains(&line.line),
        "{line:?}"
    );
}

/// MIPS (o32, big-endian) without CFI or symbols: a leaf that saved no ra
/// returns through the ra register (its sp unchanged), its caller by the
/// prologue scan to the ra it saved (0 here: the end).
#[test]
fn mips_leaf_then_prologue_scan() {
    let words = |ws: &[u32]| -> Vec<u8> { ws.iter().flat_map(|w| w.to_be_bytes()).collect() };
    let mut mem = FakeMemory::default();
    // caller: jr ra; nop | addiu sp,sp,-32; sw ra,28(sp); nop; nop (the call)
    mem.put(
        0x40_0100,
        &words(&[0x03e0_0008, 0, 0x27bd_ffe0, 0xafbf_001c, 0, 0]),
    );
    // leaf: jr ra; nop | nop; nop; nop
    mem.put(0x40_0200, &words(&[0x03e0_0008, 0, 0, 0, 0]));
    let sp = 0x7fff_0000;
    mem.put(sp + 28, &0x0040_0300u32.to_be_bytes());
    mem.put(0x40_0300, &words(&[0x03e0_0008, 0, 0x27bd_ffe0, 0, 0]));
    let arch = Arch::Mips(rgdbserver_arch::mips::MIPS);
    let mut regs = Registers::new(arch, 0x40_0210, sp);
    regs.set(31, 0x40_0114);
    let mut unwinder = Unwinder::new();
    let bt = unwinder
        .address_space(&[])
        .unwind(&mem, regs, DEFAULT_MAX_DEPTH);
    let pcs: Vec<u64> = bt.frames.iter().map(|f| f.pc).collect();
    assert_eq!(pcs, [0x40_0210, 0x40_0114, 0x40_0300], "{bt:#?}");
    assert_eq!(methods(&bt), ["pc", "prologue-scan", "prologue-scan"]);
    assert_eq!(bt.frames[1].sp, Some(sp));
    assert_eq!(bt.frames[2].sp, Some(sp + 32));
    // The third saved no ra in its frame and is no leaf: the walk ends.
    assert!(
        matches!(bt.stop, StopReason::NoUnwindInfo(_)),
        "{:?}",
        bt.stop
    );
}

/// This test process's own vdso, read through the `Memory` trait as a
/// target's would be: named and covered by its CFI.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_vdso_from_memory() {
    use std::io::{Read, Seek, SeekFrom};
    let text = std::fs::read_to_string("/proc/self/maps").unwrap();
    let entries = crate::inferior::maps::parse_maps(&text).unwrap();
    let maps = Mapping::from_maps(&entries);
    let Some(vdso) = maps.iter().find(|m| m.path.as_os_str() == VDSO) else {
        return; // booted without a vdso (vdso=0): nothing to read
    };
    let mem = |addr: u64, buf: &mut [u8]| -> Option<usize> {
        let mut file = std::fs::File::open("/proc/self/mem").ok()?;
        file.seek(SeekFrom::Start(addr)).ok()?;
        file.read(buf).ok()
    };
    let mut unwinder = Unwinder::new();
    unwinder.load_vdso(&maps, &mem);
    let has_cfi = |addr| {
        let object = unwinder.cache().peek(&vdso.path).expect("the vdso parsed");
        object.fde_for(addr).is_some()
    };
    let data = {
        let mut bytes = vec![0u8; (vdso.end - vdso.start) as usize];
        assert_eq!(mem(vdso.start, &mut bytes), Some(bytes.len()));
        bytes
    };
    let file = ::object::File::parse(&*data).unwrap();
    let clock = file
        .dynamic_symbols()
        .find(|s| s.name() == Ok("__vdso_clock_gettime"))
        .expect("__vdso_clock_gettime");
    assert!(has_cfi(clock.address() + 1), "CFI for it");
    let space = unwinder.address_space(&maps);
    let bias = space.load_bias(vdso.start).expect("vdso bias");
    let found = space.symbolize(bias + clock.address() + 1);
    let name = found.function.expect("named").0;
    assert!(name.ends_with("clock_gettime"), "{name}");
}

/// Garbage in (every pc of the program, stacks of pseudo-random words,
/// wild registers): the walk ends, within the limit, without a panic.
#[cfg(target_arch = "x86_64")]
#[test]
fn garbage_stacks_end_cleanly() {
    let built = build(&["-O2", "-g"]);
    let mut mem = FakeMemory::default();
    let maps = load(&built, &mut mem);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for at in (STACK_TOP - 0x1000..STACK_TOP).step_by(8) {
        // Some words point into the stack or the program, most nowhere.
        let word = match next() % 4 {
            0 => STACK_TOP - 0x1000 + next() % 0x1000,
            1 => BIAS + 0x1000 + next() % 0x1000,
            _ => next(),
        };
        mem.put_u64(at, word);
    }
    let mut unwinder = Unwinder::new();
    let space = unwinder.address_space(&maps);
    for pc in (BIAS + 0x1000..BIAS + 0x1400).step_by(3) {
        for sp in [STACK_TOP - 0x800, u64::MAX - 4, 0] {
            let mut regs = Registers::new(Arch::X86_64, pc, sp);
            regs.set(6, next());
            regs.set(3, STACK_TOP - 0x400);
            let bt = space.unwind(&mem, regs, 64);
            assert!(!bt.frames.is_empty() && bt.frames.len() <= 64);
        }
    }
}
