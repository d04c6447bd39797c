/// mimalloc instead of the system allocator: see Cargo.toml and docs/bench.md. Only the
/// binary sets it; the library leaves the choice to whoever embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // A run lives for milliseconds and uses a few MiB: where the system backs memory with
    // transparent huge pages by default (`always`), each first touch of a 2 MiB region
    // zeroed a whole huge page, about a tenth of a render's CPU time (docs/bench.md). Off
    // for this process (hagen starts no other process that would inherit it).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    hagen::cli::main()
}
