//! The trace buffer: the frames collected at tracepoint hits, each as the
//! bytes of GNU gdbserver's buffer and gdb's trace file (a 2-byte
//! tracepoint number, a 4-byte length, then `R` register, `M` memory and
//! `V` variable blocks, all in the target's byte order), so that `qTBuffer`
//! (what `tsave` reads) is the frames back to back. A size limit: a full
//! buffer stops tracing, or, circular, drops its oldest frames. Frame
//! numbers count from the oldest frame kept, as GNU's do.

use std::collections::VecDeque;

/// GNU gdbserver's default size (`tsize:500000`).
pub const DEFAULT_SIZE: u64 = 0x50_0000;
/// A frame's header: tracepoint number and length.
const HEADER: u64 = 6;

/// One collected frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub tracepoint: u32,
    /// Where the thread was (the tracepoint's address).
    pub pc: u64,
    /// The blocks (`R`, `M`, `V`).
    pub blocks: Vec<u8>,
}

impl Frame {
    fn size(&self) -> u64 {
        HEADER + self.blocks.len() as u64
    }

    /// The register block, if one was collected (`size` bytes after `R`).
    pub fn registers(&self, size: usize) -> Option<&[u8]> {
        self.walk(size).find_map(|block| match block {
            Block::Registers(r) => Some(r),
            _ => None,
        })
    }

    /// The memory blocks: address and bytes.
    pub fn memory(&self, register_size: usize) -> impl Iterator<Item = (u64, &[u8])> {
        self.walk(register_size).filter_map(|block| match block {
            Block::Memory(addr, bytes) => Some((addr, bytes)),
            _ => None,
        })
    }

    /// The variables collected: number and value.
    pub fn variables(&self, register_size: usize) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.walk(register_size).filter_map(|block| match block {
            Block::Variable(n, v) => Some((n, v)),
            _ => None,
        })
    }

    /// Bytes collected at `addr` onwards, as many as are contiguous there
    /// (at most `len`).
    pub fn read_memory(&self, register_size: usize, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut found: Option<&[u8]> = None;
        for (start, bytes) in self.memory(register_size) {
            let end = start + bytes.len() as u64;
            if (start..end).contains(&addr) {
                let from = (addr - start) as usize;
                let piece = &bytes[from..];
                if found.is_none_or(|f| piece.len() > f.len()) {
                    found = Some(piece);
                }
            }
        }
        found.map(|bytes| bytes[..bytes.len().min(len)].to_vec())
    }

    fn walk(&self, register_size: usize) -> Blocks<'_> {
        Blocks {
            rest: &self.blocks,
            register_size,
        }
    }
}

enum Block<'a> {
    Registers(&'a [u8]),
    Memory(u64, &'a [u8]),
    Variable(u32, u64),
}

struct Blocks<'a> {
    rest: &'a [u8],
    register_size: usize,
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Some(head)
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    if cfg!(target_endian = "big") {
        w[8 - bytes.len()..].copy_from_slice(bytes);
    } else {
        w[..bytes.len()].copy_from_slice(bytes);
    }
    u64::from_ne_bytes(w)
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Block<'a>;

    fn next(&mut self) -> Option<Block<'a>> {
        let kind = *take(&mut self.rest, 1)?.first()?;
        match kind {
            b'R' => take(&mut self.rest, self.register_size).map(Block::Registers),
            b'M' => {
                let addr = word(take(&mut self.rest, 8)?);
                let len = word(take(&mut self.rest, 2)?) as usize;
                take(&mut self.rest, len).map(|bytes| Block::Memory(addr, bytes))
            }
            b'V' => {
                let n = word(take(&mut self.rest, 4)?) as u32;
                let v = word(take(&mut self.rest, 8)?);
                Some(Block::Variable(n, v))
            }
            _ => None,
        }
    }
}

/// Building one frame's blocks.
#[derive(Debug, Default)]
pub struct FrameWriter {
    blocks: Vec<u8>,
}

impl FrameWriter {
    pub fn registers(&mut self, g: &[u8]) {
        self.blocks.push(b'R');
        self.blocks.extend_from_slice(g);
    }

    /// Memory, in blocks of at most 65535 bytes (the length is 16 bits).
    pub fn memory(&mut self, addr: u64, bytes: &[u8]) {
        for (i, chunk) in bytes.chunks(usize::from(u16::MAX)).enumerate() {
            self.blocks.push(b'M');
            let at = addr.wrapping_add((i * usize::from(u16::MAX)) as u64);
            self.blocks.extend_from_slice(&at.to_ne_bytes());
            self.blocks
                .extend_from_slice(&(chunk.len() as u16).to_ne_bytes());
            self.blocks.extend_from_slice(chunk);
        }
    }

    pub fn variable(&mut self, n: u32, value: u64) {
        self.blocks.push(b'V');
        self.blocks.extend_from_slice(&n.to_ne_bytes());
        self.blocks.extend_from_slice(&value.to_ne_bytes());
    }

    pub fn finish(self, tracepoint: u32, pc: u64) -> Frame {
        Frame {
            tracepoint,
            pc,
            blocks: self.blocks,
        }
    }
}

/// Why a frame was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

#[derive(Debug)]
pub struct FrameBuffer {
    frames: VecDeque<Frame>,
    used: u64,
    size: u64,
    circular: bool,
    /// Frames made since the buffer was last cleared (`tcreated`).
    created: u64,
}

impl Default for FrameBuffer {
    fn default() -> FrameBuffer {
        FrameBuffer {
            frames: VecDeque::new(),
            used: 0,
            size: DEFAULT_SIZE,
            circular: false,
            created: 0,
        }
    }
}

impl FrameBuffer {
    /// Drop every frame (a new run).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.used = 0;
        self.created = 0;
    }

    pub fn set_circular(&mut self, circular: bool) {
        self.circular = circular;
    }

    pub fn circular(&self) -> bool {
        self.circular
    }

    /// A new size (None: the default); frames that no longer fit go.
    pub fn set_size(&mut self, size: Option<u64>) {
        self.size = size.unwrap_or(DEFAULT_SIZE);
        while self.used > self.size {
            self.drop_oldest();
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn free(&self) -> u64 {
        self.size.saturating_sub(self.used)
    }

    pub fn created(&self) -> u64 {
        self.created
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    fn drop_oldest(&mut self) {
        if let Some(old) = self.frames.pop_front() {
            self.used -= old.size();
        }
    }

    /// Keep `frame`: Full if it does not fit (a circular buffer drops its
    /// oldest frames to make room, unless the frame is bigger than all of
    /// it).
    pub fn push(&mut self, frame: Frame) -> Result<(), Full> {
        let need = frame.size();
        if need > self.size {
            return Err(Full);
        }
        if self.used + need > self.size {
            if !self.circular {
                return Err(Full);
            }
            while self.used + need > self.size {
                self.drop_oldest();
            }
        }
        self.used += need;
        self.created += 1;
        self.frames.push_back(frame);
        Ok(())
    }

    pub fn get(&self, number: usize) -> Option<&Frame> {
        self.frames.get(number)
    }

    /// The frames with their numbers.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Frame)> {
        self.frames.iter().enumerate()
    }

    /// Bytes used by `tracepoint`'s frames (`qTP`'s usage).
    pub fn usage(&self, tracepoint: u32) -> u64 {
        self.frames
            .iter()
            .filter(|f| f.tracepoint == tracepoint)
            .map(Frame::size)
            .sum()
    }

    /// `[offset, offset + len)` of the raw buffer: the frames back to back,
    /// each with its header.
    pub fn raw(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = 0u64;
        let end = offset.saturating_add(len as u64);
        for frame in &self.frames {
            let size = frame.size();
            if at + size > offset && at < end {
                let mut bytes = Vec::with_capacity(size as usize);
                bytes.extend_from_slice(&(frame.tracepoint as u16).to_ne_bytes());
                bytes.extend_from_slice(&(frame.blocks.len() as u32).to_ne_bytes());
                bytes.extend_from_slice(&frame.blocks);
                let from = offset.saturating_sub(at) as usize;
                let to = ((end - at) as usize).min(bytes.len());
                out.extend_from_slice(&bytes[from..to]);
            }
            at += size;
            if at >= end {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tracepoint: u32, payload: usize) -> Frame {
        let mut w = FrameWriter::default();
        w.memory(0x1000, &vec![0xab; payload]);
        w.finish(tracepoint, 0x40)
    }

    #[test]
    fn blocks_read_back() {
        let mut w = FrameWriter::default();
        w.registers(&[1, 2, 3, 4]);
        w.memory(0x1000, b"hello");
        w.memory(0x2000, b"xy");
        w.variable(7, 42);
        let f = w.finish(3, 0x40);
        assert_eq!(f.registers(4), Some(&[1u8, 2, 3, 4][..]));
        assert_eq!(f.read_memory(4, 0x1001, 10), Some(b"ello".to_vec()));
        assert_eq!(f.read_memory(4, 0x1001, 2), Some(b"el".to_vec()));
        assert_eq!(f.read_memory(4, 0x2001, 1), Some(b"y".to_vec()));
        assert_eq!(f.read_memory(4, 0x1005, 1), None);
        assert_eq!(f.variables(4).collect::<Vec<_>>(), vec![(7, 42)]);
        let none = FrameWriter::default().finish(1, 0x40);
        assert_eq!(none.registers(4), None);
    }

    #[test]
    fn big_memory_splits_into_blocks() {
        let mut w = FrameWriter::default();
        w.memory(0x1000, &vec![7; 70000]);
        let f = w.finish(1, 0x40);
        let blocks: Vec<_> = f.memory(0).map(|(a, b)| (a, b.len())).collect();
        assert_eq!(
            blocks,
            vec![(0x1000, 65535), (0x1000 + 65535, 70000 - 65535)]
        );
    }

    #[test]
    fn full_buffer_refuses_circular_drops_oldest() {
        let mut b = FrameBuffer::default();
        // Each frame: 6 header + 11 block header + 33 = 50 bytes.
        b.set_size(Some(120));
        assert_eq!(b.push(frame(1, 33)), Ok(()));
        assert_eq!(b.push(frame(2, 33)), Ok(()));
        assert_eq!(b.push(frame(3, 33)), Err(Full));
        assert_eq!((b.len(), b.free(), b.created()), (2, 20, 2));
        b.set_circular(true);
        assert_eq!(b.push(frame(3, 33)), Ok(()));
        assert_eq!(b.len(), 2);
        assert_eq!(b.get(0).unwrap().tracepoint, 2);
        assert_eq!(b.get(1).unwrap().tracepoint, 3);
        assert_eq!(b.created(), 3);
        assert_eq!(b.push(frame(4, 200)), Err(Full));
        assert_eq!(b.usage(3), 50);
        b.set_size(Some(60));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn raw_windows_cover_the_frames() {
        let mut b = FrameBuffer::default();
        b.push(frame(1, 3)).unwrap();
        b.push(frame(2, 3)).unwrap();
        let all = b.raw(0, 1000);
        assert_eq!(all.len(), 40);
        assert_eq!(&all[..2], &1u16.to_ne_bytes());
        assert_eq!(&all[2..6], &14u32.to_ne_bytes());
        assert_eq!(all[6], b'M');
        assert_eq!(&all[20..22], &2u16.to_ne_bytes());
        let mut pieces = Vec::new();
        let mut at = 0;
        loop {
            let piece = b.raw(at, 7);
            if piece.is_empty() {
                break;
            }
            at += piece.len() as u64;
            pieces.extend(piece);
        }
        assert_eq!(pieces, all);
    }
}
