//! Valgrind's client requests (`valgrind.h`, `memcheck.h`) for Linux on x86_64: the magic
//! instruction sequence that does nothing on a real processor and that Valgrind's
//! translator recognises. Everywhere else, every request does nothing and
//! [`running_on_valgrind`] is false.

/// `VG_USERREQ__RUNNING_ON_VALGRIND`.
const RUNNING_ON_VALGRIND: u64 = 0x1001;
/// `VG_USERREQ__COUNT_ERRORS`.
const COUNT_ERRORS: u64 = 0x1201;
/// `VG_USERREQ_TOOL_BASE('M', 'C')`: memcheck's requests.
const MEMCHECK: u64 = ((b'M' as u64) << 24) | ((b'C' as u64) << 16);
/// `VG_USERREQ__MAKE_MEM_UNDEFINED`.
const MAKE_MEM_UNDEFINED: u64 = MEMCHECK + 1;
/// `VG_USERREQ__MAKE_MEM_DEFINED`.
const MAKE_MEM_DEFINED: u64 = MEMCHECK + 2;

/// One client request: `VALGRIND_DO_CLIENT_REQUEST_EXPR(default, request, args…)`.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn request(default: u64, request: u64, args: [u64; 5]) -> u64 {
    let block: [u64; 6] = [request, args[0], args[1], args[2], args[3], args[4]];
    let mut result = default;
    // SAFETY: the sequence rotates rdi by 3 + 13 + 61 + 51 = 128 bits (it ends as it
    // began) and exchanges rbx with itself: on a processor it changes nothing but the
    // flags. Under Valgrind it reads the six words at `block` (alive for the whole asm
    // statement) and writes its answer in rdx.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") result,
            in("rax") block.as_ptr(),
            out("rdi") _,
            options(nostack),
        );
    }
    result
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn request(default: u64, _request: u64, _args: [u64; 5]) -> u64 {
    default
}

/// Whether the program runs under Valgrind.
pub fn running_on_valgrind() -> bool {
    request(0, RUNNING_ON_VALGRIND, [0; 5]) != 0
}

/// The errors the tool has reported so far.
pub fn error_count() -> u64 {
    request(0, COUNT_ERRORS, [0; 5])
}

/// Memcheck: the bytes of `value` hold no defined value from now on (until written): any
/// branch or address that depends on them is reported.
pub fn mark_secret<T: ?Sized>(value: &T) {
    let (at, len) = span(value);
    request(0, MAKE_MEM_UNDEFINED, [at, len, 0, 0, 0]);
}

/// Memcheck: the bytes of `value` are defined (public) from now on.
pub fn mark_public<T: ?Sized>(value: &T) {
    let (at, len) = span(value);
    request(0, MAKE_MEM_DEFINED, [at, len, 0, 0, 0]);
}

fn span<T: ?Sized>(value: &T) -> (u64, u64) {
    (
        std::ptr::from_ref(value).cast::<u8>() as u64,
        std::mem::size_of_val(value) as u64,
    )
}
