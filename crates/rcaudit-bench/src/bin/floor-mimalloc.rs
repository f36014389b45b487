//! `floor-mimalloc`: the floor with the allocator rcaudit uses.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rcaudit_bench::main()
}
