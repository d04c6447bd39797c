/// mimalloc instead of the system allocator: see Cargo.toml and docs/bench.md. Only the
/// binary sets it; the library leaves the choice to whoever embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages for the allocator's arena only, set before the first
/// allocation (an `.init_array` entry runs before Rust's runtime allocates anything).
///
/// mimalloc asks for huge pages on its arena (`madvise(MADV_HUGEPAGE)`), where a render's
/// few MiB of short-lived objects live: a few 2 MiB faults instead of about a thousand
/// 4 KiB ones, ~0.5 ms less per render where the system's THP setting is `madvise`
/// (docs/bench.md). Where it is `always`, every other mapping (thread stacks, the C
/// library's arenas) would also get a zeroed 2 MiB page on first touch, for a few KiB
/// of use; `PR_THP_DISABLE_EXCEPT_ADVISED` (Linux 6.18) turns exactly that off. Older
/// kernels refuse the flag (EINVAL) and keep the system's setting. hagen starts no
/// other process that would inherit it.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
#[unsafe(link_section = ".init_array")]
static HUGE_PAGES_ONLY_WHERE_ASKED: extern "C" fn() = huge_pages_only_where_asked;

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" fn huge_pages_only_where_asked() {
    /// From linux/prctl.h (6.18); not in the libc crate yet.
    const PR_THP_DISABLE_EXCEPT_ADVISED: libc::c_ulong = 1 << 1;
    // SAFETY: prctl with integer arguments only; it changes no memory of this process.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            1 as libc::c_ulong,
            PR_THP_DISABLE_EXCEPT_ADVISED,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
}

fn main() -> std::process::ExitCode {
    hagen::cli::main()
}
