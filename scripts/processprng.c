/*
 * Stand-in for Windows' bcryptprimitives.dll, for running Rust programs under
 * Wine 8.0 (Debian 12), which does not ship that DLL.
 *
 * Rust's std (and getrandom 0.3) import ProcessPrng from bcryptprimitives.dll
 * for random bytes (HashMap seeds, getrandom).  Without the DLL every .exe
 * fails to load (Wine exit status 53).  This DLL exports only ProcessPrng and
 * fills the buffer from RtlGenRandom (advapi32!SystemFunction036), which Wine
 * has.  For testing under Wine only: real Windows 10+ has the genuine DLL.
 *
 * Build (scripts/windows-env.sh does this):
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -static-libgcc \
 *     -o bcryptprimitives.dll processprng.c processprng.def -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom's real export name; declared here to avoid ntsecapi.h. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* BOOL ProcessPrng(PBYTE pbData, SIZE_T cbData): documented never to fail. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: feed it in chunks. */
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
