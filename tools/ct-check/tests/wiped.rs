//! Wiping (issue 20, item 5): no secret is left in freed memory. A global allocator that,
//! while it watches, reads every block before it is freed: the curve code's blocks must be
//! all zero when freed (the digits, the accumulators, the addends, the inversions' scratch),
//! and nothing the RIoT layer frees while it computes a batch's public keys holds a private
//! key's bytes. The single comb allocates nothing (its copies are on the stack, wiped with
//! `zeroize`, which this allocator cannot see). A deliberately unwiped buffer is caught,
//! so a pass means something. (The project's other freed-memory rule, buffers sized once so
//! that no growing copy is left behind, is checked here too: nothing reallocates.)

use dps_cert_gen::Uds;
use dps_cert_gen::curve::{batch, single};
use dps_cert_gen::dice::cdi::{Cdi, RiotCoreMeasure};
use dps_cert_gen::riot::keys::{Fwid, RiotSecrets};
use p256::elliptic_curve::PrimeField;
use p256::{FieldBytes, Scalar};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;

/// What the allocator saw while watching (this thread only).
#[derive(Clone, Copy, Default, Debug)]
struct Seen {
    allocations: usize,
    reallocations: usize,
    freed: usize,
    freed_bytes: usize,
    /// Freed blocks with a non-zero byte.
    dirty: usize,
    /// Freed blocks holding an 8-byte run of the watched secret.
    with_secret: usize,
    /// The size of the last dirty block freed.
    dirty_size: usize,
}

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static SEEN: Cell<Seen> = const { Cell::new(Seen { allocations: 0, reallocations: 0, freed: 0, freed_bytes: 0, dirty: 0, with_secret: 0, dirty_size: 0 }) };
    static SECRET: Cell<[u8; 96]> = const { Cell::new([0; 96]) };
}

/// The tests share the watched secret's slot and the counters: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Watching;

fn note(change: impl FnOnce(&mut Seen)) {
    SEEN.with(|seen| {
        let mut s = seen.get();
        change(&mut s);
        seen.set(s);
    });
}

/// Whether `block` holds 8 consecutive bytes of the secret (its 32 big-endian bytes, the
/// same reversed, and the bytes of `p256::Scalar` in memory), ignoring runs of zeros.
fn holds_secret(block: &[u8], secret: &[u8; 96]) -> bool {
    secret.chunks(32).any(|half| {
        half.windows(8)
            .filter(|w| w.iter().any(|b| *b != 0))
            .any(|w| block.windows(8).any(|b| b == w))
    })
}

// SAFETY: every call is passed on to the system allocator unchanged; while watching, the
// block about to be freed is read (it is allocated and `layout.size()` bytes long), which
// neither allocates nor changes it.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            note(|s| s.allocations += 1);
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if WATCHING.with(Cell::get) {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until freed below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            let dirty = block.iter().any(|b| *b != 0);
            let with_secret = holds_secret(block, &SECRET.with(Cell::get));
            note(|s| {
                s.freed += 1;
                s.freed_bytes += block.len();
                s.dirty += usize::from(dirty);
                if dirty {
                    s.dirty_size = block.len();
                }
                s.with_secret += usize::from(with_secret);
            });
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            note(|s| s.reallocations += 1);
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// The bytes of a scalar as it is held in memory (`p256` keeps it in Montgomery form).
fn in_memory(k: &Scalar) -> [u8; 32] {
    let mut out = [0u8; 32];
    assert_eq!(std::mem::size_of::<Scalar>(), 32);
    // SAFETY: a `Scalar` is 32 bytes of plain limbs (checked above), alive here.
    let bytes = unsafe { std::slice::from_raw_parts(std::ptr::from_ref(k).cast::<u8>(), 32) };
    out.copy_from_slice(bytes);
    out
}

/// Runs `f` watched, with `secret` as the bytes to look for (in each of its spellings).
fn watch<T>(secret: &Scalar, f: impl FnOnce() -> T) -> (T, Seen) {
    let mut all = [0u8; 96];
    all[..32].copy_from_slice(&secret.to_repr());
    all[32..64].copy_from_slice(&secret.to_repr());
    all[32..64].reverse();
    all[64..].copy_from_slice(&in_memory(secret));
    SECRET.with(|s| s.set(all));
    SEEN.with(|s| s.set(Seen::default()));
    WATCHING.with(|w| w.set(true));
    let out = f();
    WATCHING.with(|w| w.set(false));
    (out, SEEN.with(Cell::get))
}

fn scalars(count: usize) -> Vec<Scalar> {
    (1..=count as u64)
        .map(|i| {
            let mut bytes = [0x3cu8; 32];
            bytes[..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
            bytes[0] &= 0x7f;
            Scalar::from_repr(FieldBytes::from(bytes)).unwrap()
        })
        .collect()
}

#[test]
fn the_batch_comb_frees_only_wiped_blocks() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    batch::warm_up();
    let keys = scalars(600);
    let (points, seen) = watch(&keys[7], || batch::mul_base(&keys));
    assert_eq!(points.check().unwrap().len(), 600);
    // The digits, accumulators, addends, differences, scratch, projective points and
    // their z: every one freed, every one zero.
    assert!(seen.freed >= 7, "{seen:?}");
    assert!(seen.freed_bytes > 600 * 100, "{seen:?}");
    assert_eq!(seen.dirty, 0, "{seen:?}");
    assert_eq!(seen.reallocations, 0, "{seen:?}");
}

#[test]
fn the_single_comb_allocates_nothing_and_below_the_batch_threshold_only_its_result() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let keys = scalars(5);
    let pair = [keys[0], keys[1]];
    let (_, seen) = watch(&keys[0], || single::mul_base(&pair));
    assert_eq!(seen.allocations, 0, "{seen:?}");
    let (points, seen) = watch(&keys[0], || batch::mul_base(&keys));
    assert_eq!(points.check().unwrap().len(), 5);
    assert_eq!((seen.allocations, seen.freed), (1, 0), "{seen:?}");
}

#[test]
fn a_batch_of_riot_keys_frees_no_private_key() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    batch::warm_up();
    let secrets: Vec<RiotSecrets> = (0..40u8)
        .map(|i| {
            let uds = Uds::from_bytes([i; 32]);
            let cdi = Cdi::derive(&uds, &RiotCoreMeasure::of(b"riot core"));
            RiotSecrets::derive(&cdi, Fwid::of(b"riot fw")).unwrap()
        })
        .collect();
    let refs: Vec<&RiotSecrets> = secrets.iter().collect();
    // The private key looked for: the alias key of device 3, as the keys give it.
    let keys = RiotSecrets::keys_many(&refs).unwrap();
    let alias_3 = *keys[3].alias.secret().to_nonzero_scalar().as_ref();
    drop(keys);
    let (keys, seen) = watch(&alias_3, || RiotSecrets::keys_many(&refs));
    assert_eq!(keys.unwrap().len(), 40);
    assert!(seen.freed >= 7, "{seen:?}");
    assert_eq!(seen.with_secret, 0, "{seen:?}");
    assert_eq!(seen.reallocations, 0, "{seen:?}");
}

#[test]
fn an_unwiped_buffer_is_caught() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let secret = scalars(1)[0];
    let (_, seen) = watch(&secret, || {
        let copy: Vec<Scalar> = vec![secret];
        std::hint::black_box(&copy);
        drop(copy);
    });
    assert_eq!(
        (seen.freed, seen.dirty, seen.with_secret),
        (1, 1, 1),
        "{seen:?}"
    );
}
