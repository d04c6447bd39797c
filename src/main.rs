/// mimalloc instead of the system allocator: see Cargo.toml and docs/bench.md. Only the
/// binary sets it; the library leaves the choice to whoever embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hagen::cli::main()
}
