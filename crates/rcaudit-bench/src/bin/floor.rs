//! `floor`: plain `serde_json` parsing, system allocator (see the crate docs).

fn main() -> std::process::ExitCode {
    rcaudit_bench::main()
}
