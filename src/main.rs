fn main() -> std::process::ExitCode {
    hagen::cli::main()
}
