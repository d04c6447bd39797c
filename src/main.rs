/// mimalloc instead of the system allocator: see Cargo.toml and docs/bench.md. Only the
/// binary sets it; the library leaves the choice to whoever embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How the allocator uses memory, set before its first allocation: an `.init_array`
/// entry runs before Rust's runtime allocates anything.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
#[unsafe(link_section = ".init_array")]
static SET_UP_THE_ALLOCATOR: extern "C" fn() = set_up_the_allocator;

extern "C" fn set_up_the_allocator() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    huge_pages_only_where_asked();
    never_return_memory_before_exit();
}

/// Transparent huge pages for the allocator's arena only.
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
fn huge_pages_only_where_asked() {
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

/// mimalloc returns freed memory to the system (`madvise(MADV_DONTNEED)`) 10 ms after it
/// is freed, and all of it at exit: about twenty calls at the end of a render (each one
/// a page-table walk, and a split of the huge pages it cuts), for memory the exit is
/// about to release anyway. A run of hagen is short and its memory a few MiB, so it
/// keeps what it freed for its next allocations and gives it all back at once, at exit.
fn never_return_memory_before_exit() {
    /// `mi_option_purge_delay` of `mi_option_e` in mimalloc.h (the same in mimalloc 2
    /// and 3): "-1 for no purging at all". libmimalloc-sys names no constant for it.
    const MI_OPTION_PURGE_DELAY: libc::c_int = 15;
    unsafe extern "C" {
        /// mimalloc.h; linked in with the allocator.
        fn mi_option_set(option: libc::c_int, value: libc::c_long);
    }
    // SAFETY: sets one integer of mimalloc's option table, which it reads when it
    // decides whether to purge; valid at any time, before its first allocation too.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() -> std::process::ExitCode {
    // Where there is no `.init_array`, now: a few allocations late.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    set_up_the_allocator();
    hagen::cli::main()
}
