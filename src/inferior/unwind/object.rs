//! One mapped ELF object as the unwinder needs it, parsed once and kept in
//! an `ObjectCache` by path (a backtrace of fifty threads reads libc once):
//! its PT_LOAD segments (for the load bias), its function symbols, an index
//! of its CFI (`.eh_frame`, else `.debug_frame`) by address, and its line
//! tables. Symbols and DWARF may come from a separate debug file found by
//! build id or `.gnu_debuglink` under /usr/lib/debug, as gdb finds them.
//! Addresses here are the object's own (link-time) virtual addresses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use gimli::{
    BaseAddresses, CieOrFde, DebugFrame, EhFrame, EndianArcSlice, FrameDescriptionEntry,
    RunTimeEndian, UnwindSection,
};
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, SymbolKind};

/// The reader every gimli structure here uses: shares the section's bytes.
pub(super) type Reader = EndianArcSlice<RunTimeEndian>;

/// Where the separate debug files live.
const DEBUG_ROOT: &str = "/usr/lib/debug";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Symbol {
    addr: u64,
    size: u64,
    name: String,
    global: bool,
}

impl Symbol {
    /// Among aliases at one address, the name to show (smaller is better),
    /// much as gdb picks: unversioned, fewest leading underscores (not
    /// `__GI___clone3` but `clone3`), global, shortest.
    fn rank(&self) -> (bool, usize, bool, usize) {
        let underscores = self.name.bytes().take_while(|&b| b == b'_').count();
        (
            self.name.contains('@'),
            underscores,
            !self.global,
            self.name.len(),
        )
    }
}

/// Which CFI section an FDE came from (its expressions are read there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CfiKind {
    EhFrame,
    DebugFrame,
}

/// An FDE found for an address, with what is needed to run it.
pub(super) struct FoundFde<'a> {
    pub fde: &'a FrameDescriptionEntry<Reader>,
    pub kind: CfiKind,
    pub object: &'a ElfObject,
}

struct Segment {
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// A parsed ELF object.
pub struct ElfObject {
    path: PathBuf,
    segments: Vec<Segment>,
    /// FUNC symbols sorted by address.
    symbols: Vec<Symbol>,
    pub(super) eh_frame: Option<EhFrame<Reader>>,
    pub(super) eh_bases: BaseAddresses,
    pub(super) debug_frame: Option<DebugFrame<Reader>>,
    /// Every FDE, sorted by start address.
    fdes: Vec<(u64, u64, CfiKind, FrameDescriptionEntry<Reader>)>,
    lines: Option<addr2line::Context<Reader>>,
    /// Where the symbols and DWARF came from, if not the object itself.
    pub debug_file: Option<PathBuf>,
}

/// A source position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub file: String,
    pub line: u32,
}

fn reader_for(data: &[u8], endian: RunTimeEndian) -> Reader {
    EndianArcSlice::new(Arc::from(data), endian)
}

/// A section's bytes, if it has any (not NOBITS), decompressed where the
/// file compressed them (zlib or zstd, as distributions ship debug files).
fn section_bytes<'d>(file: &object::File<'d>, name: &str) -> Option<(u64, Vec<u8>)> {
    let section = file.section_by_name(name)?;
    let data = section.uncompressed_data().ok()?;
    (!data.is_empty()).then(|| (section.address(), data.into_owned()))
}

fn function_symbols(file: &object::File<'_>) -> Vec<Symbol> {
    let pick = |symbols: &mut dyn Iterator<Item = object::Symbol<'_, '_>>| -> Vec<Symbol> {
        symbols
            .filter(|s| s.kind() == SymbolKind::Text && s.is_definition() && s.address() != 0)
            .filter_map(|s| {
                Some(Symbol {
                    addr: s.address(),
                    size: s.size(),
                    name: s.name().ok()?.to_string(),
                    global: s.is_global(),
                })
            })
            .collect()
    };
    let mut symbols = pick(&mut file.symbols());
    if symbols.is_empty() {
        symbols = pick(&mut file.dynamic_symbols());
    }
    symbols.sort_by(|a, b| a.addr.cmp(&b.addr).then(a.rank().cmp(&b.rank())));
    symbols
}

/// The separate debug file for an object, as gdb looks for it.
fn find_debug_file(path: &Path, file: &object::File<'_>) -> Option<PathBuf> {
    if let Ok(Some(id)) = file.build_id() {
        if id.len() > 1 {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            let candidate =
                Path::new(DEBUG_ROOT).join(format!(".build-id/{}/{}.debug", &hex[..2], &hex[2..]));
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let (name, _crc) = file.gnu_debuglink().ok().flatten()?;
    let name = std::str::from_utf8(name).ok()?;
    let dir = path.parent()?;
    let relative = dir.strip_prefix("/").unwrap_or(dir);
    [
        dir.join(".debug").join(name),
        Path::new(DEBUG_ROOT).join(relative).join(name),
    ]
    .into_iter()
    .find(|p| p.is_file() && p != path)
}

fn index_fdes<S: UnwindSection<Reader>>(
    section: &S,
    bases: &BaseAddresses,
    kind: CfiKind,
    out: &mut Vec<(u64, u64, CfiKind, FrameDescriptionEntry<Reader>)>,
) {
    let mut entries = section.entries(bases);
    // A malformed entry ends the index there: what came before still serves.
    while let Ok(Some(entry)) = entries.next() {
        if let CieOrFde::Fde(partial) = entry {
            if let Ok(fde) = partial.parse(S::cie_from_offset) {
                let start = fde.initial_address();
                out.push((start, start.saturating_add(fde.len()), kind, fde));
            }
        }
    }
}

impl ElfObject {
    /// Parse an object from its file's bytes (`path` names it in output and
    /// is where its debug file is looked for).
    pub fn parse(path: &Path, data: &[u8]) -> Result<ElfObject, String> {
        let file = object::File::parse(data).map_err(|e| format!("{}: {e}", path.display()))?;
        let endian = if file.is_little_endian() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        let segments = file
            .segments()
            .map(|s| {
                let (offset, filesz) = s.file_range();
                Segment {
                    offset,
                    vaddr: s.address(),
                    filesz,
                }
            })
            .collect();

        let mut eh_bases = BaseAddresses::default();
        if let Some(text) = file.section_by_name(".text") {
            eh_bases = eh_bases.set_text(text.address());
        }
        if let Some(got) = file.section_by_name(".got") {
            eh_bases = eh_bases.set_got(got.address());
        }
        let eh_frame = section_bytes(&file, ".eh_frame").map(|(addr, bytes)| {
            eh_bases = eh_bases.clone().set_eh_frame(addr);
            EhFrame::from(reader_for(&bytes, endian))
        });
        let mut fdes = Vec::new();
        if let Some(eh) = &eh_frame {
            index_fdes(eh, &eh_bases, CfiKind::EhFrame, &mut fdes);
        }

        let debug_file = find_debug_file(path, &file);
        let debug_data = debug_file.as_ref().and_then(|p| std::fs::read(p).ok());
        let debug_obj = debug_data
            .as_deref()
            .and_then(|d| object::File::parse(d).ok());
        let info_source = debug_obj.as_ref().unwrap_or(&file);

        let debug_frame = section_bytes(&file, ".debug_frame")
            .or_else(|| {
                debug_obj
                    .as_ref()
                    .and_then(|d| section_bytes(d, ".debug_frame"))
            })
            .map(|(_, bytes)| {
                let mut section = DebugFrame::from(reader_for(&bytes, endian));
                section.set_address_size(if file.is_64() { 8 } else { 4 });
                section
            });
        if let Some(debug) = &debug_frame {
            index_fdes(
                debug,
                &BaseAddresses::default(),
                CfiKind::DebugFrame,
                &mut fdes,
            );
        }
        // `.eh_frame` first where both cover an address: it is what runs.
        fdes.sort_by_key(|(start, _, kind, _)| (*start, *kind == CfiKind::DebugFrame));

        let mut symbols = function_symbols(info_source);
        if symbols.is_empty() {
            symbols = function_symbols(&file);
        }
        let lines = section_bytes(info_source, ".debug_info").and_then(|_| {
            let dwarf = gimli::Dwarf::load(|id| -> Result<Reader, gimli::Error> {
                let bytes = section_bytes(info_source, id.name())
                    .map(|(_, b)| b)
                    .unwrap_or_default();
                Ok(reader_for(&bytes, endian))
            })
            .ok()?;
            addr2line::Context::from_dwarf(dwarf).ok()
        });
        Ok(ElfObject {
            path: path.to_path_buf(),
            segments,
            symbols,
            eh_frame,
            eh_bases,
            debug_frame,
            fdes,
            lines,
            debug_file: debug_obj.is_some().then_some(debug_file).flatten(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The load bias of a mapping of this object at `start` from file
    /// offset `offset`: `start` minus the virtual address that offset has in
    /// the PT_LOAD segment it falls in.
    pub fn bias(&self, start: u64, offset: u64) -> Option<u64> {
        // A mapping starts at a page boundary, which may lie before its
        // segment's own offset (up to 64 KiB pages).
        const PAGE_MASK: u64 = 0xffff;
        let loaded = || self.segments.iter().filter(|s| s.filesz > 0);
        loaded()
            .find(|s| s.offset <= offset && offset < s.offset.saturating_add(s.filesz))
            .or_else(|| {
                loaded().find(|s| {
                    (s.offset & !PAGE_MASK) <= offset && offset < s.offset.saturating_add(s.filesz)
                })
            })
            .map(|s| start.wrapping_sub(s.vaddr.wrapping_add(offset).wrapping_sub(s.offset)))
    }

    /// The FDE covering object address `addr`.
    pub(super) fn fde_for(&self, addr: u64) -> Option<FoundFde<'_>> {
        let after = self.fdes.partition_point(|(start, ..)| *start <= addr);
        self.fdes[..after]
            .iter()
            .rev()
            .take(8)
            .find(|(start, end, ..)| *start <= addr && addr < *end)
            .map(|(_, _, kind, fde)| FoundFde {
                fde,
                kind: *kind,
                object: self,
            })
    }

    /// The function symbol containing object address `addr`, and the
    /// offset of `addr` in it.
    pub fn symbol_for(&self, addr: u64) -> Option<(&str, u64)> {
        let after = self.symbols.partition_point(|s| s.addr <= addr);
        let nearest = self.symbols[..after].last()?.addr;
        let first = self.symbols[..after].partition_point(|s| s.addr < nearest);
        // Of the aliases there, the best named whose size reaches `addr`
        // (an unsized one is taken as reaching).
        let best = self.symbols[first..after]
            .iter()
            .find(|s| s.size == 0 || addr < s.addr.saturating_add(s.size))?;
        let name = best.name.split('@').next().unwrap_or(&best.name);
        Some((name, addr - best.addr))
    }

    /// The source line of object address `addr`, where DWARF has it.
    pub fn line_for(&self, addr: u64) -> Option<SourceLine> {
        let location = self.lines.as_ref()?.find_location(addr).ok()??;
        Some(SourceLine {
            file: location.file?.to_string(),
            line: location.line?,
        })
    }

    /// Functions inlined at object address `addr`, innermost first, then
    /// the function they are in (empty without DWARF).
    pub fn inline_chain(&self, addr: u64) -> Vec<(String, Option<SourceLine>)> {
        let Some(lines) = &self.lines else {
            return Vec::new();
        };
        let Ok(mut frames) = lines.find_frames(addr).skip_all_loads() else {
            return Vec::new();
        };
        let mut chain = Vec::new();
        while let Ok(Some(frame)) = frames.next() {
            let name = frame
                .function
                .as_ref()
                .and_then(|f| f.raw_name().ok().map(|n| n.into_owned()));
            let line = frame.location.and_then(|l| {
                Some(SourceLine {
                    file: l.file?.to_string(),
                    line: l.line?,
                })
            });
            match name {
                Some(name) => chain.push((name, line)),
                None => break,
            }
        }
        chain
    }
}

/// A mapping's pseudo-name (`[vdso]`) rather than a path.
pub(super) fn is_image_name(path: &Path) -> bool {
    path.as_os_str().as_encoded_bytes().first() == Some(&b'[')
}

/// Parsed objects by path, re-read when the file changes.
#[derive(Default)]
pub struct ObjectCache {
    objects: HashMap<PathBuf, (Option<SystemTime>, u64, Option<ElfObject>)>,
}

impl ObjectCache {
    pub fn new() -> ObjectCache {
        ObjectCache::default()
    }

    /// The object at `path`, parsed on first use (None if it cannot be read
    /// or is not ELF; that answer is kept too, until the file changes).
    pub fn get(&mut self, path: &Path) -> Option<&ElfObject> {
        if is_image_name(path) {
            // No file: only what `set_image` gave.
            return self.peek(path);
        }
        let meta = std::fs::metadata(path).ok();
        let stamp = (
            meta.as_ref().and_then(|m| m.modified().ok()),
            meta.as_ref().map_or(0, |m| m.len()),
        );
        let fresh = self
            .objects
            .get(path)
            .is_some_and(|(mtime, len, _)| (*mtime, *len) == stamp);
        if !fresh {
            let parsed = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|data| ElfObject::parse(path, &data));
            if let Err(e) = &parsed {
                log::debug!("unwind: no object for {}: {e}", path.display());
            }
            self.objects
                .insert(path.to_path_buf(), (stamp.0, stamp.1, parsed.ok()));
        }
        self.objects.get(path).and_then(|(_, _, o)| o.as_ref())
    }

    /// An object that is no file but bytes read from the target (the
    /// `[vdso]`), named as its mapping is; it replaces any before it.
    pub fn set_image(&mut self, name: &Path, bytes: &[u8]) {
        let parsed = ElfObject::parse(name, bytes);
        if let Err(e) = &parsed {
            log::debug!("unwind: no object for {}: {e}", name.display());
        }
        self.objects
            .insert(name.to_path_buf(), (None, bytes.len() as u64, parsed.ok()));
    }

    /// The object at `path` if `get` has parsed it.
    pub fn peek(&self, path: &Path) -> Option<&ElfObject> {
        self.objects.get(path).and_then(|(_, _, o)| o.as_ref())
    }

    /// How many objects have been parsed (for tests of the cache).
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str, global: bool) -> Symbol {
        Symbol {
            addr: 0x1000,
            size: 0x10,
            name: name.into(),
            global,
        }
    }

    fn best(names: &[(&str, bool)]) -> String {
        let mut aliases: Vec<Symbol> = names.iter().map(|&(n, g)| sym(n, g)).collect();
        aliases.sort_by_key(Symbol::rank);
        aliases[0].name.clone()
    }

    #[test]
    fn alias_names_as_gdb_shows_them() {
        let clone3 = [
            ("__GI___clone3", false),
            ("__clone3", false),
            ("clone3", false),
        ];
        assert_eq!(best(&clone3), "clone3");
        let start = [
            ("__libc_start_main@@GLIBC_2.34", true),
            ("__libc_start_main_alias_1", false),
            ("__libc_start_main_impl", false),
        ];
        assert_eq!(best(&start), "__libc_start_main_impl");
        assert_eq!(best(&[("_exit", false), ("_Exit", true)]), "_Exit");
    }
}
